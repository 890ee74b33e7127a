"""Local multi-site test web: many virtual sites on loopback, no root, no internet.

* ``sites`` - site folders and ``_site.toml`` / ``_web.toml`` (format documented there);
* ``server`` - the Twisted server (run it with ``python -m linkspider.testweb serve``);
* ``resolver`` - ``TestWebResolver`` for ``TWISTED_DNS_RESOLVER`` and the state file;
* ``process`` - ``TestWeb``, a context manager running the server in a subprocess.

The server module is not imported here: it pulls in twisted.web and OpenSSL,
which a crawl that only needs the resolver does not.
"""

from __future__ import annotations

from linkspider.testweb.process import FetchResult, TestWeb, TestWebError, python_env
from linkspider.testweb.resolver import (
    STATE_SETTING,
    TestWebResolver,
    TestWebStateError,
    WebState,
    map_address,
)
from linkspider.testweb.sites import (
    DEFAULT_SITES_DIR,
    Route,
    Site,
    SiteConfigError,
    Web,
    content_type_for,
    load_site,
    load_web,
    normalize_host,
)

__all__ = [
    "DEFAULT_SITES_DIR",
    "STATE_SETTING",
    "FetchResult",
    "Route",
    "Site",
    "SiteConfigError",
    "TestWeb",
    "TestWebError",
    "TestWebResolver",
    "TestWebStateError",
    "Web",
    "WebState",
    "content_type_for",
    "load_site",
    "load_web",
    "map_address",
    "normalize_host",
    "python_env",
]
