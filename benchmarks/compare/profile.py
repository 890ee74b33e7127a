"""Where linkspider's time goes: a py-spy profile of one crawl, summarised.

``py-spy record --format raw --nolineno`` samples the crawl process (active threads only)
and writes collapsed stacks (``frame;frame;... count``). The summary groups samples by the
area of the code that was running (the innermost frame of ours or of a known library) and
lists the functions with the most self time and the linkspider functions with the most
inclusive time.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*)\)$")
#: (label, substring of the frame's file) in priority order: the innermost match names a sample.
AREAS = (
    ("linkspider extraction (linkspider/extract)", "linkspider/extract/"),
    ("linkspider pipelines (link rows, JSONL)", "linkspider/pipelines/"),
    ("linkspider middlewares + policy", "linkspider/middlewares/"),
    ("linkspider middlewares + policy", "linkspider/policy/"),
    ("linkspider reports/exports", "linkspider/reports/"),
    ("linkspider extensions", "linkspider/extensions/"),
    ("linkspider spider", "linkspider/spiders/"),
    ("linkspider other", "linkspider/"),
    ("selectolax (HTML parse)", "selectolax"),
    ("ada-url (URL parsing)", "ada_url"),
    ("tldextract", "tldextract"),
    ("protego (robots.txt)", "protego"),
    ("json", "json/"),
    ("pyarrow / pandas / duckdb", "pyarrow"),
    ("pyarrow / pandas / duckdb", "pandas"),
    ("pyarrow / pandas / duckdb", "duckdb"),
    ("Scrapy", "scrapy/"),
    ("Twisted (network, reactor)", "twisted/"),
    ("w3lib", "w3lib/"),
)


@dataclass
class Profile:
    samples: int = 0
    areas: Counter[str] = field(default_factory=Counter)
    self_time: Counter[str] = field(default_factory=Counter)
    linkspider_inclusive: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)


def py_spy() -> str | None:
    return shutil.which("py-spy")


def record_command(output: Path, argv: list[str], rate: int = 100) -> list[str]:
    binary = py_spy()
    if binary is None:
        raise SystemExit("py-spy not found: pip install -e '.[bench]'")
    return [
        binary,
        "record",
        "--format",
        "raw",
        "--nolineno",
        "--rate",
        str(rate),
        "--output",
        str(output),
        "--",
        *argv,
    ]


def _short(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame, ""
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})", path


def summarise(raw: Path) -> Profile:
    profile = Profile()
    for line in raw.read_text("utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        frames = [f for f in frames if f[1]]  # drop the process/thread pseudo-frames
        if not frames:
            continue
        profile.samples += count
        profile.self_time[frames[-1][0]] += count
        profile.areas[_area(frames)] += count
        for name in {name for name, path in frames if path.startswith("linkspider/")}:
            profile.linkspider_inclusive[name] += count
        for name in {name for name, _ in frames}:
            profile.inclusive[name] += count
    return profile


def _area(frames: list[tuple[str, str]]) -> str:
    for _, path in reversed(frames):
        for label, marker in AREAS:
            if marker in path:
                return label
    return "other (Python runtime, stdlib)"


def markdown(profile: Profile, top: int = 12) -> list[str]:
    if not profile.samples:
        return ["(no samples)"]

    def pct(n: int) -> str:
        return f"{100 * n / profile.samples:.1f}%"

    lines = ["| area (innermost known frame) | share of samples |", "|---|---|"]
    lines += [f"| {area} | {pct(n)} |" for area, n in profile.areas.most_common()]
    lines += ["", "Top functions by self time:", "", "| function | self |", "|---|---|"]
    lines += [f"| `{f}` | {pct(n)} |" for f, n in profile.self_time.most_common(top)]
    lines += [
        "",
        "linkspider functions by inclusive time:",
        "",
        "| function | inclusive |",
        "|---|---|",
    ]
    lines += [f"| `{f}` | {pct(n)} |" for f, n in profile.linkspider_inclusive.most_common(top)]
    # Below the reactor's and the crawl command's own frames (which hold nearly everything).
    below = [(f, n) for f, n in profile.inclusive.most_common() if n < 0.6 * profile.samples]
    lines += [
        "",
        "Any code by inclusive time (frames holding < 60% of the samples):",
        "",
        "| function | inclusive |",
        "|---|---|",
    ]
    lines += [f"| `{f}` | {pct(n)} |" for f, n in below[:top]]
    return lines
