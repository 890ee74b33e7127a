"""What a comparison run measured (kept as JSON in the work folder, rendered by ``report``)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass
class Result:
    contender: str
    mode: str
    rep: int
    pages: int = 0
    expected_pages: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    peak_rss_process: int = 0
    server_cpu: float = 0.0
    load_before: float = 0.0
    error: str = ""
    correctness: str = ""
    correct: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.error and self.pages > 0

    @property
    def rate(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.pages if self.pages else 0.0


@dataclass
class RssRun:
    pages: int = 0
    hosts: int = 0
    wall: float = 0.0
    peak_rss: int = 0
    points: list[tuple[str, int, int]] = field(default_factory=list)  # (label, pages, RSS)
    error: str = ""


@dataclass
class ServerCheckResult:
    mode: str
    requests_per_second: float
    megabytes_per_second: float
    connections: int
    seconds: int
    server_cpu_share: float = 0.0  # nginx CPU seconds / crawl CPU seconds, linkspider runs


@dataclass
class Comparison:
    command: str
    started: str
    machine: dict[str, str]
    web: dict[str, Any]
    settings: dict[str, str]
    reps: int
    modes: list[str]
    latency_ms: float = 0.0
    results: list[Result] = field(default_factory=list)
    servers: list[ServerCheckResult] = field(default_factory=list)
    rss: RssRun | None = None
    profile: list[str] = field(default_factory=list)
    profile_note: str = ""
    shared_machine_note: str = ""

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path) -> Comparison:
        data = json.loads(path.read_text("utf-8"))
        data["results"] = [Result(**r) for r in data["results"]]
        data["servers"] = [ServerCheckResult(**s) for s in data["servers"]]
        if data.get("rss"):
            points = [(str(a), int(b), int(c)) for a, b, c in data["rss"]["points"]]
            data["rss"] = RssRun(**{**data["rss"], "points": points})
        return cls(**data)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("\n", 1)[0].split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    try:
        nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    except OSError:
        nginx = "not found"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "scrapy": _version("scrapy"),
        "twisted": _version("twisted"),
        "advertools": _version("advertools"),
        "linkspider": _version("linkspider"),
        "nginx": nginx.removeprefix("nginx version: "),
    }
