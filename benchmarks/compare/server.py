"""Serving the benchmark web: nginx (one root per host), Redis, and the server speed check.

nginx (Debian package) runs as our child with a generated configuration in the work folder
(``daemon off``, pid and logs there, access log off, one ``root`` per host through
``$host``), listening on a free loopback port. Latency mode loads the Debian module
``libnginx-mod-http-echo`` and holds every response for its host's delay with
``echo_sleep`` (a timer: nginx keeps serving other requests meanwhile) before handing the
request to the static file handler, so the delay is a real time to first byte, per host,
on robots.txt too. The crawlers reach every host name through
``linkspider.testweb.resolver.TestWebResolver`` fed with a state file that maps the
web's hosts, port 80, to nginx.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.compare.measure import die_with_parent
from linkspider.testweb.resolver import WebState

ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")
APT_PACKAGES = {"nginx": "nginx", "wrk": "wrk", "redis-server": "redis-server"}


def ensure_tools(latency: bool) -> None:
    """Install nginx (+ the echo module for latency), wrk and redis-server with apt if missing."""
    missing = [
        pkg
        for tool, pkg in APT_PACKAGES.items()
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if latency and not ECHO_MODULE.exists():
        missing.append("libnginx-mod-http-echo")
    if not missing:
        return
    print(f"installing with apt-get: {' '.join(missing)}", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def host_delays(hosts: list[str], seed: int, median_ms: float) -> dict[str, float]:
    """Per-host time to first byte: log-normal around ``median_ms`` (x0.3 .. x4), seeded."""
    rng = random.Random(seed)
    return {
        h: round(min(max(rng.lognormvariate(0, 0.6), 0.3), 4.0) * median_ms / 1000, 3)
        for h in hosts
    }


def nginx_config(prefix: Path, sites: Path, port: int, delays: dict[str, float] | None) -> str:
    delay_map = ""
    location = "location / { try_files $uri $uri/index.html =404; }"
    load = ""
    if delays is not None:
        load = f"load_module {ECHO_MODULE};"
        entries = "".join(f"    {host} {delay};\n" for host, delay in sorted(delays.items()))
        delay_map = f"map $host $bench_delay {{\n    default 0;\n{entries}}}"
        location = (
            "location / { echo_sleep $bench_delay; echo_exec @file; }\n"
            "    location @file { try_files $uri $uri/index.html =404; }"
        )
    return f"""{load}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 8192; multi_accept on; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    # bounded: each cached entry holds a descriptor (20,000 pages at max=200000 ran nginx
    # out of descriptors: 'Too many open files', answered 404)
    open_file_cache max=4000 inactive=60s;
    types {{ text/html html; text/plain txt; image/png png; }}
    default_type text/html;
    client_body_temp_path {prefix}/tmp-body;
    proxy_temp_path {prefix}/tmp-proxy;
    fastcgi_temp_path {prefix}/tmp-fastcgi;
    uwsgi_temp_path {prefix}/tmp-uwsgi;
    scgi_temp_path {prefix}/tmp-scgi;
    server_tokens off;
    {delay_map}
    server {{
        listen 127.0.0.1:{port} default_server backlog=4096;
        root {sites}/$host;
        {location}
    }}
}}
"""


@dataclass
class Nginx:
    """One nginx process serving ``sites/<host>/`` on ``127.0.0.1:port``."""

    process: subprocess.Popen[bytes]
    port: int
    prefix: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """CPU of the master and its workers so far (from /proc)."""
        total = 0.0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            total += process_cpu(pid)
        return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_nginx(prefix: Path, sites: Path, delays: dict[str, float] | None) -> Nginx:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, sites, port, delays), "utf-8")
    log = (prefix / "nginx.out").open("wb")
    process = subprocess.Popen(
        [binary, "-p", str(prefix), "-c", str(conf)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    server = Nginx(process, port, prefix)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"nginx failed to start:\n{(prefix / 'nginx.out').read_text()}"
                f"{(prefix / 'error.log').read_text() if (prefix / 'error.log').exists() else ''}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise SystemExit("nginx did not listen within 10 s")


@contextmanager
def serving(
    work: Path, name: str, sites: Path, hosts: list[str], delays: dict[str, float] | None
) -> Iterator[tuple[Nginx, Path]]:
    """nginx for ``sites`` plus the resolver state file pointing every host at it."""
    nginx = start_nginx(work / f"nginx-{name}", sites, delays)
    try:
        state = work / f"resolver-{name}.json"
        write_resolver_state(state, hosts, nginx.port)
        yield nginx, state
    finally:
        nginx.stop()
        failures = server_failures(work / f"nginx-{name}" / "error.log")
        if failures:  # the runs' numbers are not the crawlers' own: say it loudly
            print(
                f"WARNING: nginx ({name}) failed {failures} time(s): see its error.log", flush=True
            )


def server_failures(error_log: Path) -> int:
    """Lines of nginx's error log at level crit or worse (a request it could not serve)."""
    if not error_log.exists():
        return 0
    text = error_log.read_text("utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if any(f"[{lv}]" in line for lv in _SEVERE))


_SEVERE = ("crit", "alert", "emerg")


def write_resolver_state(path: Path, hosts: list[str], port: int) -> None:
    """A ``TestWebResolver`` state file: every host's port 80 -> nginx (443 -> a closed port)."""
    closed = free_port()
    WebState(
        address="127.0.0.1",
        http_port=port,
        https_port=closed,
        refused_port=closed,
        hang_port=closed,
        hosts=sorted(hosts),
    ).write(path)


@dataclass
class ServerCheck:
    requests_per_second: float
    megabytes_per_second: float
    connections: int
    seconds: float
    tool: str


def check_server(
    port: int, urls: list[str], connections: int, seconds: int, work: Path
) -> ServerCheck:
    """Throughput of nginx on the web's own pages with ``wrk`` (pages spread over hosts)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found (apt-get install wrk)")
    script = work / "wrk-pages.lua"
    pairs = []
    for url in urls:
        host, _, path = url.removeprefix("http://").partition("/")
        pairs.append(f'{{"{host}", "/{path}"}}')
    script.write_text(
        "local pages = {" + ",\n".join(pairs) + "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #pages + 1\n"
        '  return wrk.format("GET", pages[i][2], {["Host"] = pages[i][1]})\n'
        "end\n",
        "utf-8",
    )
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/",
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if rps is None or transfer is None:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    if non2xx is not None:
        raise SystemExit(f"nginx answered errors to the server check:\n{out}")
    scale = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}[transfer.group(2)]
    return ServerCheck(
        float(rps.group(1)), float(transfer.group(1)) * scale, connections, seconds, "wrk -t1"
    )


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis() -> Redis:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Redis(process, f"redis://127.0.0.1:{port}/0")
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not listen within 10 s")
