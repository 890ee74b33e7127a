"""Site definitions of the local test web: one folder per virtual host.

Pure loading and lookup code (no Twisted), shared by the server and the tests.

Layout of a sites directory::

    <sites_dir>/<hostname>/            e.g. sites/outdoor-blog.com/, sites/news.gearlab.co.uk/
        index.html                     served at "/"
        about.html                     served at "/about.html"
        blog/index.html                served at "/blog/" ("/blog" redirects 301 to "/blog/")
        robots.txt                     served at "/robots.txt" (absent -> 404)
        _site.toml                     optional, see below (never served)
    <sites_dir>/_web.toml              optional, web-wide settings, see below

Folder names are host names (lower-cased on load); entries starting with ``_`` or
``.`` and plain files are not sites. Several sites directories can be combined; a
host name may be defined only once. Files are served byte for byte (any encoding,
binary too) with a Content-Type chosen by extension (see ``CONTENT_TYPES``,
default ``application/octet-stream``). A folder without ``index.html`` is 404 (no
listings). Missing paths answer 404 with a small HTML body.

``_site.toml`` (all keys optional)::

    http = true            # serve over http (false: the connection is dropped unanswered)
    https = true           # serve over https (false: the TLS handshake for this SNI name fails)
    https_redirect = false # true: every http request answers 301 to the same URL on https

    [[route]]              # checked before files, in order; first match wins
    path = "/old-page"     # exact match on the decoded path, query string ignored ...
    prefix = false         # ... or, when true, any path starting with `path`
    status = 301           # default: 301 when `location` is set, else 200
    location = "/new-page" # sent as Location, unchanged (relative or absolute)
    file = "files/report.pdf"        # body from this file (relative to the site folder)
    body = "<html>...</html>"        # inline body (UTF-8)
    content_type = "text/html"       # exact Content-Type header value
    headers = { "X-Robots-Tag" = "noindex" }  # extra headers (override defaults)
    delay = 3.0            # seconds before answering (never blocks the server)
    repeat_body_kb = 512   # pad the body with whitespace to exactly N KiB
    hold_until = "/tmp/gate"  # answer only once this file exists (tests open the gate);
                           # each held request appends a line to "<file>.held"
    ranges = true          # false: ignore Range headers, always answer the whole body (200)
    truncate_at = 1000     # send the full Content-Length, then close after N body bytes
                           # (a download cut short; applies to ranged answers too)

Range requests: a GET with one ``Range: bytes=A-B`` / ``bytes=A-`` / ``bytes=-N`` for a
200 answer is answered ``206 Partial Content`` with ``Content-Range``; a range starting
past the end is ``416`` with ``Content-Range: bytes */SIZE``; several ranges or a Range
header that cannot be parsed are ignored (the whole body, 200), as RFC 9110 allows. Every
200 answer says ``Accept-Ranges: bytes`` unless its route has ``ranges = false``.

A route with neither ``file`` nor ``body`` serves the site file at the request path
if there is one, else a small HTML page naming the status. Without
``content_type`` a route file is typed by its extension, an inline or generated
body by the request path's extension, falling back to HTML.

``_web.toml``::

    refused_hosts = ["down.example"]   # resolve to a port where connections are refused
    hang_hosts = ["slow.example"]      # resolve to a port that accepts and never answers
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SITES_DIR = Path(__file__).resolve().parent / "sites"
SITE_CONFIG = "_site.toml"
WEB_CONFIG = "_web.toml"

CONTENT_TYPES: Mapping[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".json": "application/json",
    ".xml": "application/xml",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
HTML_CONTENT_TYPE = CONTENT_TYPES[".html"]

_HOST_RE = re.compile(r"^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")
_SITE_KEYS = frozenset({"http", "https", "https_redirect", "route"})
_ROUTE_KEYS = frozenset(
    {
        "path",
        "prefix",
        "status",
        "location",
        "file",
        "body",
        "content_type",
        "headers",
        "delay",
        "repeat_body_kb",
        "hold_until",
        "ranges",
        "truncate_at",
    }
)
_WEB_KEYS = frozenset({"refused_hosts", "hang_hosts"})


class SiteConfigError(ValueError):
    """A sites directory, site folder or TOML file is not valid."""


def content_type_for(name: str) -> str:
    """Default Content-Type for a file or URL path, by its extension."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), DEFAULT_CONTENT_TYPE)


def normalize_host(host: str) -> str:
    """Lower-case a Host header / DNS name, dropping any port and trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # "[::1]:8080"
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:  # "example.com:8080"; bare IPv6 literals have several
        host = host.partition(":")[0]
    return host.rstrip(".")


@dataclass(frozen=True)
class Route:
    """One ``[[route]]`` of a ``_site.toml``; ``file`` is an absolute path."""

    path: str
    prefix: bool = False
    status: int | None = None
    location: str | None = None
    file: Path | None = None
    body: bytes | None = None
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    repeat_body_kb: int | None = None
    hold_until: Path | None = None
    ranges: bool = True
    truncate_at: int | None = None

    def matches(self, path: str) -> bool:
        """Whether this route answers the (decoded, query-less) URL path."""
        return path.startswith(self.path) if self.prefix else path == self.path

    @property
    def effective_status(self) -> int:
        """The status to answer: explicit, else 301 for redirects, else 200."""
        if self.status is not None:
            return self.status
        return 301 if self.location is not None else 200


@dataclass(frozen=True)
class PathLookup:
    """Result of mapping a URL path onto a site folder."""

    file: Path | None = None
    slash_redirect: bool = False  # a folder addressed without its trailing slash


@dataclass(frozen=True)
class Site:
    """One virtual host: its folder, schemes and routes."""

    host: str
    root: Path
    http: bool = True
    https: bool = True
    https_redirect: bool = False
    routes: tuple[Route, ...] = ()

    def find_route(self, path: str) -> Route | None:
        """The first route matching the URL path, if any."""
        return next((route for route in self.routes if route.matches(path)), None)

    def lookup(self, path: str) -> PathLookup | None:
        """Map a decoded URL path to a file in the site folder (None: not found)."""
        if not path.startswith("/"):
            return None
        parts = path[1:].split("/")
        is_folder_url = parts[-1] == ""
        if is_folder_url:
            parts.pop()
        if any(p in ("", ".", "..") or "\\" in p or "\0" in p for p in parts):
            return None
        if parts == [SITE_CONFIG]:
            return None
        target = self.root.joinpath(*parts)
        if not target.resolve().is_relative_to(self.root):
            return None
        if target.is_dir():
            if not is_folder_url:
                return PathLookup(slash_redirect=True)
            target = target / "index.html"
            is_folder_url = False
        if is_folder_url or not target.is_file():
            return None
        return PathLookup(file=target)


@dataclass(frozen=True)
class Web:
    """All virtual hosts plus the web-wide unreachable host lists."""

    sites: Mapping[str, Site]
    refused_hosts: tuple[str, ...] = ()
    hang_hosts: tuple[str, ...] = ()

    @property
    def hosts(self) -> list[str]:
        """Served host names, sorted."""
        return sorted(self.sites)

    def site(self, host: str) -> Site | None:
        """The site for a Host header / SNI name, if served."""
        return self.sites.get(normalize_host(host))


def load_web(sites_dirs: Sequence[Path] | None = None) -> Web:
    """Load and merge sites directories (default: the bundled ``sites`` folder)."""
    sites: dict[str, Site] = {}
    refused: list[str] = []
    hang: list[str] = []
    for sites_dir in sites_dirs or [DEFAULT_SITES_DIR]:
        if not sites_dir.is_dir():
            raise SiteConfigError(f"sites directory not found: {sites_dir}")
        web_toml = _read_toml(sites_dir / WEB_CONFIG) if (sites_dir / WEB_CONFIG).is_file() else {}
        _check_keys(web_toml, _WEB_KEYS, sites_dir / WEB_CONFIG)
        refused += _host_list(web_toml, "refused_hosts", sites_dir / WEB_CONFIG)
        hang += _host_list(web_toml, "hang_hosts", sites_dir / WEB_CONFIG)
        for folder in sorted(sites_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith(("_", ".")):
                continue
            site = load_site(folder)
            if site.host in sites:
                raise SiteConfigError(f"host {site.host!r} defined twice: {folder}")
            sites[site.host] = site
    _check_disjoint(sites, refused, hang)
    return Web(sites=sites, refused_hosts=tuple(refused), hang_hosts=tuple(hang))


def load_site(folder: Path) -> Site:
    """Load one site folder (its name is the host name) and its ``_site.toml``."""
    host = _valid_host(folder.name, folder)
    root = folder.resolve()
    config_path = root / SITE_CONFIG
    config = _read_toml(config_path) if config_path.is_file() else {}
    _check_keys(config, _SITE_KEYS, config_path)
    raw_routes = config.get("route", [])
    if not isinstance(raw_routes, list) or not all(isinstance(r, dict) for r in raw_routes):
        raise SiteConfigError(f"{config_path}: 'route' must be an array of tables ([[route]])")
    routes = tuple(
        _parse_route(raw, root, f"{config_path} route #{n}") for n, raw in enumerate(raw_routes, 1)
    )
    return Site(
        host=host,
        root=root,
        http=_get(config, "http", bool, config_path, True),
        https=_get(config, "https", bool, config_path, True),
        https_redirect=_get(config, "https_redirect", bool, config_path, False),
        routes=routes,
    )


def _parse_route(raw: dict[str, Any], root: Path, where: str) -> Route:
    _check_keys(raw, _ROUTE_KEYS, where)
    path = _get(raw, "path", str, where, None)
    if path is None or not path.startswith("/"):
        raise SiteConfigError(f"{where}: 'path' is required and must start with '/'")
    status = _get(raw, "status", int, where, None)
    if status is not None and not 100 <= status <= 599:
        raise SiteConfigError(f"{where}: 'status' must be 100..599")
    file_name = _get(raw, "file", str, where, None)
    file = None
    if file_name is not None:
        file = (root / file_name).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            raise SiteConfigError(f"{where}: file not found in the site folder: {file_name}")
    body = _get(raw, "body", str, where, None)
    if file is not None and body is not None:
        raise SiteConfigError(f"{where}: 'file' and 'body' are exclusive")
    headers = _get(raw, "headers", dict, where, {})
    if not all(isinstance(v, str) for v in headers.values()):
        raise SiteConfigError(f"{where}: 'headers' values must be strings")
    delay = float(_get(raw, "delay", (int, float), where, 0.0))
    kb = _get(raw, "repeat_body_kb", int, where, None)
    if delay < 0 or (kb is not None and kb < 0):
        raise SiteConfigError(f"{where}: 'delay' and 'repeat_body_kb' must not be negative")
    gate = _get(raw, "hold_until", str, where, None)
    truncate_at = _get(raw, "truncate_at", int, where, None)
    if truncate_at is not None and truncate_at < 0:
        raise SiteConfigError(f"{where}: 'truncate_at' must not be negative")
    return Route(
        path=path,
        prefix=_get(raw, "prefix", bool, where, False),
        status=status,
        location=_get(raw, "location", str, where, None),
        file=file,
        body=body.encode() if body is not None else None,
        content_type=_get(raw, "content_type", str, where, None),
        headers=tuple(headers.items()),
        delay=delay,
        repeat_body_kb=kb,
        hold_until=(root / gate) if gate is not None else None,
        ranges=_get(raw, "ranges", bool, where, True),
        truncate_at=truncate_at,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteConfigError(f"{path}: {exc}") from exc


def _check_keys(table: Mapping[str, Any], allowed: frozenset[str], where: object) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SiteConfigError(f"{where}: unknown keys {unknown}; allowed: {sorted(allowed)}")


def _get(table: Mapping[str, Any], key: str, kind: Any, where: object, default: Any) -> Any:
    """``table[key]`` checked against ``kind`` (bools are never numbers)."""
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) and kind is not bool:
        raise SiteConfigError(f"{where}: {key!r} must not be a boolean")
    if not isinstance(value, kind):
        raise SiteConfigError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _valid_host(name: str, where: object) -> str:
    host = normalize_host(name)
    if not _HOST_RE.match(host):
        raise SiteConfigError(f"{where}: not a valid host name: {name!r}")
    return host


def _host_list(table: Mapping[str, Any], key: str, where: Path) -> list[str]:
    value = _get(table, key, list, where, [])
    if not all(isinstance(v, str) for v in value):
        raise SiteConfigError(f"{where}: {key!r} must be a list of host names")
    return [_valid_host(v, where) for v in value]


def _check_disjoint(sites: Iterable[str], refused: list[str], hang: list[str]) -> None:
    seen: set[str] = set()
    for host in [*sites, *refused, *hang]:
        if host in seen:
            raise SiteConfigError(f"host {host!r} listed more than once in the test web")
        seen.add(host)
