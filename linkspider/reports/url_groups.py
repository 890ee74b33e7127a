"""Pure keys that put variants of a URL together, for the audit tables.

``target_url`` is already normalised (:func:`linkspider.core.urls.normalise_url`: lower
case scheme and host, no fragment, no tracking parameters, no default port). What is left
to tell apart addresses most sites serve as one page is put together here:

* :func:`url_group`: ``http``/``https``, ``www.``/bare host, a trailing slash and the
  order of the query parameters: ``http://www.acme.com/boots/?b=2&a=1`` and
  ``https://acme.com/boots?a=1&b=2`` are ``acme.com/boots?a=1&b=2``. Path case and the
  remaining parameters are kept (they can address other pages).
* :func:`url_folder`: the host (without ``www.``) and the first folder of the path:
  ``acme.com/blog/`` for ``https://www.acme.com/blog/2024/post``; a page at the top level,
  a folder's own page (``/blog/``) included, is in ``acme.com/`` (a folder follows from
  the URL alone, and ``/blog/`` and ``/blog`` are one page).
* :func:`top_level_domain`: the last label of a host (``uk`` for ``bbc.co.uk``).
"""

from __future__ import annotations


def _split(url: str) -> tuple[str, str, str]:
    """(host without ``www.``, path, query) of an absolute URL; the URL itself as host when
    it has no scheme."""
    _, sep, rest = url.partition("://")
    if not sep:
        rest = url
    rest = rest.split("#", 1)[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i != -1), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    path, _, query = tail.partition("?")
    host = authority.lower()
    if host.startswith("www."):
        host = host[4:]
    return host, path or "/", query


def url_group(url: str) -> str:
    """The key of a URL's group of variants (see the module docstring)."""
    host, path, query = _split(url)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    params = sorted(p for p in query.split("&") if p)
    return host + path + ("?" + "&".join(params) if params else "")


def url_folder(url: str) -> str:
    """``host/first-folder/``, or ``host/`` for a page at the top level."""
    host, path, _ = _split(url)
    # as the group has it, without a trailing slash: "/blog/post" -> ["", "blog", "post"];
    # "/blog/" (the folder's own page) and "/blog" are one page, at the top level
    segments = path.rstrip("/").split("/")
    if len(segments) > 2 and segments[1]:
        return f"{host}/{segments[1]}/"
    return f"{host}/"


def top_level_domain(host: str) -> str:
    """The last label of a host name; "" for an IP address or an empty host."""
    host = host.strip().rstrip(".").lower()
    if not host or host.startswith("[") or host.replace(".", "").isdigit():
        return ""
    return host.rsplit(".", 1)[-1]
