"""Download a release into the cache: resumable, size-verified, with progress.

Files go to ``<cache>/projects/hyperlinkgraph/<name>/...`` (the data server's own layout,
so the cache is a release folder like any other). Each file is written to
``<file>.part`` and renamed only when its size is the one the server announced; an
interrupted download resumes from the ``.part`` with an HTTP ``Range`` request (guarded by
``If-Range`` when the server gave an ETag or Last-Modified). A level is complete when
its marker ``.complete-<level>`` exists; then no network is needed at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linkspider.discover.errors import DownloadError, ReleaseError
from linkspider.discover.layout import (
    DATA_PREFIX,
    RELEASE_NAME,
    Release,
    index_files,
    open_release_dir,
    read_paths_list,
    release_prefix,
)

DEFAULT_DATA_URL = "https://data.commoncrawl.org/"
DEFAULT_GRAPHINFO_URL = "https://index.commoncrawl.org/graphinfo.json"
USER_AGENT = "linkspider-discover (+https://github.com/linkspider)"
_BLOCK = 1 << 20

#: ``progress(file name, bytes done, total bytes or None, bytes/s)`` while downloading.
DownloadProgress = Callable[[str, int, "int | None", float], None]


@dataclass(frozen=True)
class Remote:
    """Where releases come from, where they go, and how hard to try."""

    cache_dir: Path
    data_url: str = DEFAULT_DATA_URL
    graphinfo_url: str = DEFAULT_GRAPHINFO_URL
    retries: int = 3
    timeout: float = 60.0
    progress: DownloadProgress | None = None

    def url(self, relative: str) -> str:
        return self.data_url.rstrip("/") + "/" + relative


def default_cache_dir() -> Path:
    """``$LINKSPIDER_CACHE_DIR/cc-webgraph``, else ``~/.cache/linkspider/cc-webgraph``."""
    base = os.environ.get("LINKSPIDER_CACHE_DIR")
    if base:
        return Path(base).expanduser() / "cc-webgraph"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "linkspider" / "cc-webgraph"


def open_release(
    graph: Path | str | None = None,
    release: str | None = None,
    level: str = "domain",
    remote: Remote | None = None,
) -> Release:
    """A local release folder (``graph``), else ``release`` (None: the newest) from the cache,
    downloaded first if it is not complete there."""
    if graph is not None:
        found = open_release_dir(Path(graph))
        if release is not None and release != found.name:
            raise ReleaseError(f"--graph {graph} holds release {found.name}, not {release}")
        found.files(level)
        return found
    return fetch_release(release, level, remote or Remote(default_cache_dir()))


class NotFound(DownloadError):
    """HTTP 404: the file does not exist on the server."""


def _open(url: str, timeout: float, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {url}: {reason} (no network?)") from exc


def list_releases(remote: Remote) -> list[str]:
    """Release names in Common Crawl's graph index, newest first (as it lists them)."""
    url = remote.graphinfo_url
    try:
        with _open(url, remote.timeout) as response:
            data = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot read the graph index {url}: HTTP {exc.code}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DownloadError(f"the graph index {url} is not JSON: {exc}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"cannot read the graph index {url}: {exc}") from exc
    if not isinstance(data, list):
        raise DownloadError(f"the graph index {url} is not a list of releases")
    names = [str(e["id"]) for e in data if isinstance(e, dict) and isinstance(e.get("id"), str)]
    if not names:
        raise DownloadError(f"the graph index {url} lists no release")
    return names


def _marker(root: Path, level: str) -> Path:
    return root / f".complete-{level}"


def fetch_release(name: str | None, level: str, remote: Remote) -> Release:
    """The release ``name`` (None: the newest listed) with ``level`` complete in the cache.

    A named release is checked against the graph index; when the index cannot be read
    (a mirror without one) the data server is asked directly.
    """
    if name is not None:
        if not RELEASE_NAME.match(name):
            raise ReleaseError(f"--release {name!r} is not a release name (cc-main-...)")
        cached = _cached(name, level, remote)
        if cached is not None:
            return cached
        try:
            releases = list_releases(remote)
        except DownloadError:
            releases = [name]  # no index: the data server says whether it has the release
        if name not in releases:
            raise ReleaseError(
                f"unknown release {name!r}: the graph index lists {', '.join(releases[:3])}"
                + (", ..." if len(releases) > 3 else "")
            )
    else:
        name = list_releases(remote)[0]
        cached = _cached(name, level, remote)
        if cached is not None:
            return cached
    root = remote.cache_dir / release_prefix(name)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / ".lock"):  # two runs never write the same .part
        for names in index_files(name, level):
            _download_kind(name, root, names, remote)
        release = Release(name, root)
        release.files(level)  # every listed part is there
        _marker(root, level).write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    return release


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def discard_cached(path: Path, cache_dir: Path) -> bool:
    """Remove a broken file from the cache (and its release's completion markers), so that
    the next run downloads it again; False if ``path`` is not in the cache."""
    try:
        relative = path.resolve().relative_to(cache_dir.resolve())
    except ValueError:
        return False
    parts = relative.parts
    if len(parts) < 4 or "/".join(parts[:2]) != DATA_PREFIX:
        return False
    root = cache_dir.resolve().joinpath(*parts[:3])
    for marker in root.glob(".complete-*"):
        marker.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return True


def _cached(name: str, level: str, remote: Remote) -> Release | None:
    root = remote.cache_dir / release_prefix(name)
    if _marker(root, level).is_file():
        release = Release(name, root)
        try:
            release.files(level)
        except ReleaseError:  # a file was deleted from the cache: download what is missing
            _marker(root, level).unlink(missing_ok=True)
            return None
        return release
    return None


def _download_kind(name: str, root: Path, names: tuple[str, ...], remote: Remote) -> None:
    """The single file of a kind, else its paths list and every part it lists."""
    for i, relative in enumerate(names):
        try:
            download(remote.url(f"{release_prefix(name)}/{relative}"), root / relative, remote)
        except NotFound:
            if i + 1 < len(names):
                continue
            raise ReleaseError(
                f"release {name} has no {names[0]} on {remote.data_url}"
                + (f" nor {names[1]}" if len(names) > 1 else "")
            ) from None
        if relative.endswith(".paths.gz"):
            for part in read_paths_list(root / relative, name):
                download(remote.url(f"{release_prefix(name)}/{part}"), root / part, remote)
        return


def download(url: str, dest: Path, remote: Remote) -> None:
    """``url`` to ``dest`` via ``dest.part``, resumed and retried, size-checked."""
    if dest.is_file():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    attempts = 0
    while True:
        before = _part_size(dest)
        try:
            _attempt(url, dest, remote)
            return
        except NotFound:
            raise
        except DownloadError:
            attempts += 1
            if attempts > remote.retries:
                raise
            if _part_size(dest) <= before:  # no progress: wait a little before again
                time.sleep(min(2.0**attempts, 30.0))


def _part_size(dest: Path) -> int:
    part = dest.with_name(dest.name + ".part")
    return part.stat().st_size if part.exists() else 0


_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def _attempt(url: str, dest: Path, remote: Remote) -> None:
    part = dest.with_name(dest.name + ".part")
    meta_file = dest.with_name(dest.name + ".part.json")
    have = _part_size(dest)
    total: int | None = None
    meta: dict[str, str] = {}
    if have and meta_file.exists():
        try:
            meta = json.loads(meta_file.read_text("utf-8"))
        except ValueError:
            meta = {}
    headers = {"Range": f"bytes={have}-"} if have else {}
    if have and meta.get("validator"):
        headers["If-Range"] = meta["validator"]
    try:
        response = _open(url, remote.timeout, headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotFound(f"{url}: not found (HTTP 404)") from exc
        if exc.code == 416 and have:
            if _total_of(exc.headers.get("Content-Range", "")) == have:
                _finish(part, meta_file, dest)
                return
            part.unlink()  # the server's file is shorter: start again
            raise DownloadError(f"{url}: the partial download did not fit; restarted") from exc
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from exc
    with response:
        status = response.status
        content_range = response.headers.get("Content-Range", "")
        match = _RANGE.match(content_range) if status == 206 else None
        if match and int(match.group(1)) == have:
            total = int(match.group(3))
            mode = "ab"
        else:  # a whole answer (200, or a range we did not ask for): from the start
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            have, mode = 0, "wb"
        validator = response.headers.get("ETag") or response.headers.get("Last-Modified") or ""
        meta_file.write_text(json.dumps({"url": url, "validator": validator}), "utf-8")
        done = _copy(response, part, mode, have, total, dest.name, remote)
    if total is None:
        raise DownloadError(f"{url}: the server did not say how large the file is")
    if done != total:
        raise DownloadError(
            f"download of {dest.name} stopped at {done} of {total} bytes "
            "(kept; run again to resume)"
        )
    _finish(part, meta_file, dest)


def _total_of(content_range: str) -> int | None:
    match = re.match(r"bytes \*/(\d+)", content_range)
    return int(match.group(1)) if match else None


def _copy(
    response: Any, part: Path, mode: str, have: int, total: int | None, label: str, remote: Remote
) -> int:
    done = have
    started = time.monotonic()
    last = 0.0
    with part.open(mode) as out:
        while True:
            try:
                data = response.read(_BLOCK)
            except (OSError, http.client.HTTPException):
                break  # connection lost: what arrived is kept for the resume
            if not data:
                break
            out.write(data)
            done += len(data)
            now = time.monotonic()
            if remote.progress is not None and (now - last >= 0.5 or done == total):
                last = now
                remote.progress(label, done, total, (done - have) / max(now - started, 1e-6))
    if remote.progress is not None:
        elapsed = max(time.monotonic() - started, 1e-6)
        remote.progress(label, done, total, (done - have) / elapsed)
    return done


def _finish(part: Path, meta_file: Path, dest: Path) -> None:
    part.replace(dest)
    meta_file.unlink(missing_ok=True)
