"""``TestWeb``: run the test web in a subprocess for tests, demos and benchmarks.

::

    with TestWeb([Path("tests/webs/testweb")]) as web:
        subprocess.run(["scrapy", "crawl", "backlinks", *web.scrapy_args()], check=True)
        status, headers, body = web.fetch("outdoor-blog.com", "/robots.txt")
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from linkspider.testweb.resolver import STATE_SETTING, TestWebStateError, WebState

RESOLVER_PATH = "linkspider.testweb.resolver.TestWebResolver"
START_TIMEOUT = 20.0
# Parent of the `linkspider` package: the subprocess must import this very copy.
_IMPORT_ROOT = Path(__file__).resolve().parents[2]


class TestWebError(RuntimeError):
    """The test web server could not be started."""

    __test__ = False  # not a pytest test class


class FetchResult(NamedTuple):
    """A direct response from the test web (headers keyed lower-case)."""

    status: int
    headers: dict[str, str]
    body: bytes


class TestWeb:
    """Context manager owning one ``python -m linkspider.testweb serve`` process.

    ``sites_dirs`` defaults to the bundled sample web; ``state_dir`` (default: a
    temporary directory, removed on stop) receives the state file, the CA
    certificate and the server's log.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, sites_dirs: Sequence[Path] | None = None, state_dir: Path | None = None
    ) -> None:
        self.sites_dirs = [Path(d) for d in sites_dirs] if sites_dirs else []
        self._own_dir = state_dir is None
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp("-testweb"))
        self.state_file = self.state_dir / "testweb.json"
        self.log_file = self.state_dir / "testweb.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._state: WebState | None = None

    def __enter__(self) -> TestWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> TestWeb:
        """Spawn the server and wait until its state file says it listens."""
        if self._process is not None:
            raise TestWebError("test web already started")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "linkspider.testweb", "serve"]
        for sites_dir in self.sites_dirs:
            command += ["--sites", str(sites_dir)]
        command += ["--state", str(self.state_file), "--exit-with-parent"]
        with self.log_file.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=python_env(),
            )
        try:
            self._state = self._wait_for_state(self._process)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_state(self, process: subprocess.Popen[bytes]) -> WebState:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise TestWebError(
                    f"test web server exited with {process.returncode}:\n{self._log_text()}"
                )
            if self.state_file.exists():
                try:
                    state = WebState.read(self.state_file)
                except TestWebStateError:
                    state = None  # being replaced right now
                if state is not None and state.pid == process.pid:
                    return state
            time.sleep(0.02)
        raise TestWebError(f"test web server not ready after {START_TIMEOUT}s:\n{self._log_text()}")

    def _log_text(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and clean up."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._state = None
        if self._own_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    @property
    def web_state(self) -> WebState:
        """The parsed state of the running server."""
        if self._state is None:
            raise TestWebError("test web not started")
        return self._state

    @property
    def state(self) -> dict[str, Any]:
        """The state file's content."""
        return asdict(self.web_state)

    @property
    def address(self) -> str:
        """The loopback address the server listens on."""
        return self.web_state.address

    @property
    def http_port(self) -> int:
        """The real HTTP port (what ``host:80`` resolves to)."""
        return self.web_state.http_port

    @property
    def https_port(self) -> int:
        """The real HTTPS port (what ``host:443`` resolves to)."""
        return self.web_state.https_port

    @property
    def hosts(self) -> list[str]:
        """Served host names, sorted."""
        return list(self.web_state.hosts)

    @property
    def ca_file(self) -> Path:
        """PEM of the CA that signed the server certificates (to verify TLS)."""
        if self.web_state.ca_file is None:
            raise TestWebError("the server wrote no CA file")
        return Path(self.web_state.ca_file)

    def scrapy_settings(self) -> dict[str, str]:
        """Settings that route a crawl's DNS, and its browser's, to this test web."""
        return {
            "TWISTED_DNS_RESOLVER": RESOLVER_PATH,
            STATE_SETTING: str(self.state_file),
            **self.browser_settings(),
        }

    def browser_settings(self) -> dict[str, str]:
        """Chromium switches (``render=auto|always``) that map the sites to this web.

        Chromium resolves names itself: ``--host-resolver-rules`` sends each served
        ``host:80``/``host:443`` to the real ports (refused and hanging hosts to theirs) and
        makes every other name fail, like ``TestWebResolver``. The per-host certificates
        are signed by a CA made at start-up, which Chromium does not know.
        """
        state = self.web_state
        address = f"[{state.address}]" if ":" in state.address else state.address
        rules = [
            rule
            for host in state.hosts
            for rule in (
                f"MAP {host}:80 {address}:{state.http_port}",
                f"MAP {host}:443 {address}:{state.https_port}",
            )
        ]
        rules += [f"MAP {host} {address}:{state.refused_port}" for host in state.refused_hosts]
        rules += [f"MAP {host} {address}:{state.hang_port}" for host in state.hang_hosts]
        rules += ["MAP * ~NOTFOUND", "EXCLUDE localhost"]
        args = [f"--host-resolver-rules={', '.join(rules)}", "--ignore-certificate-errors"]
        return {"LINKSPIDER_BROWSER_ARGS": json.dumps(args)}

    def scrapy_args(self) -> list[str]:
        """``scrapy_settings`` as ``-s K=V`` command-line arguments."""
        return [arg for k, v in self.scrapy_settings().items() for arg in ("-s", f"{k}={v}")]

    def url(self, host: str, path: str = "/", https: bool = False) -> str:
        """Direct loopback URL on the real port (send ``Host: host`` yourself)."""
        del host  # all hosts share the port; kept for symmetry with fetch()
        port = self.https_port if https else self.http_port
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{'https' if https else 'http'}://{address}:{port}{path}"

    def fetch(
        self,
        host: str,
        path: str = "/",
        https: bool = False,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> FetchResult:
        """One request with ``Host: host`` (and SNI ``host``, verified against the CA).

        Redirects are not followed; TLS failures raise ``ssl.SSLError``.
        """
        connection: http.client.HTTPConnection
        if https:
            context = ssl.create_default_context(cafile=str(self.ca_file))
            connection = _SniHTTPSConnection(
                self.address, self.https_port, host, context=context, timeout=timeout
            )
        else:
            connection = http.client.HTTPConnection(self.address, self.http_port, timeout=timeout)
        try:
            connection.request(method, path, headers={"Host": host, **(headers or {})})
            response = connection.getresponse()
            body = response.read()
            return FetchResult(
                response.status, {k.lower(): v for k, v in response.getheaders()}, body
            )
        finally:
            connection.close()


class _SniHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an IP address with a given SNI / certificate name."""

    def __init__(
        self, address: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._sni_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._sni_context.wrap_socket(self.sock, server_hostname=self._server_name)


def python_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` with this checkout importable (for ``python -m`` subprocesses)."""
    env = dict(os.environ, **(extra or {}))
    paths = [str(_IMPORT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env
