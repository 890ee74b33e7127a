"""Target sites: whose backlinks we look for.

``targets`` is one of:

* ``*``: every external link (outlink-graph mode);
* a comma- or whitespace-separated list of domains (``acme-boots.com,globex.co.uk``);
* a TOML file, or inline TOML text (for Scrapyd job arguments), with ``[[target]]`` tables::

    [[target]]
    domain = "acme-boots.com"          # registrable domain; all its subdomains count
    brand = ["Acme Boots", "Acme"]     # brand terms (anchor categories)
    keywords = ["hiking boots"]        # money keywords (anchor categories)
    generic = ["vers le site"]         # extra generic anchors for this target

A target given as a subdomain (``blog.acme.com``) matches that host and its subdomains only.
Public suffixes (``com``, ``co.uk``, ``blogspot.com``: ICANN and private sections of the
Public Suffix List) and wildcards (``*.acme.com``) are refused with a one-line error.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from linkspider.config.sources import ConfigError, read_source
from linkspider.core.domains import host_matches, is_public_suffix
from linkspider.core.urls import canonical_host, split_host

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TARGET_KEYS = {"domain", "brand", "keywords", "generic"}


@dataclass(frozen=True)
class Target:
    """One target site and the words that describe it."""

    domain: str
    brand: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()


@dataclass
class TargetSet:
    """The targets of a crawl, with fast host matching."""

    targets: tuple[Target, ...] = ()
    all_external: bool = False
    _by_domain: dict[str, Target] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_domain = {t.domain: t for t in self.targets}

    def match(self, host: str) -> Target | None:
        """The target whose domain is ``host`` or a parent of it, most specific first."""
        by_domain = self._by_domain
        if host in by_domain:
            return by_domain[host]
        pos = host.find(".")
        while pos != -1:
            candidate = host[pos + 1 :]
            if candidate in by_domain:
                return by_domain[candidate]
            pos = host.find(".", pos + 1)
        return None

    def is_target_domain(self, host: str) -> bool:
        return any(host_matches(host, t.domain) for t in self.targets)

    def describe(self) -> str:
        if self.all_external:
            return "* (every external link)"
        return ",".join(t.domain for t in self.targets)


def load_targets(spec: str) -> TargetSet:
    """Parse the ``targets`` argument; raise :class:`ConfigError` with a clear message."""
    if not spec or not spec.strip():
        raise ConfigError("targets is empty: give domains, a TOML file, or '*'")
    if spec.strip() == "*":
        return TargetSet(all_external=True)
    text, path = read_source(spec, "targets")
    where = path or "targets"
    if path is not None or "[[target]]" in text or "[target" in text:
        targets = _parse_toml(text, where)
    else:
        targets = [Target(domain=_domain(item, where)) for item in _split_list(text)]
    if not targets:
        raise ConfigError(f"{where}: no targets given")
    return TargetSet(targets=_merge(targets))


def _split_list(text: str) -> list[str]:
    return [item for item in text.replace(",", " ").split() if item]


def _domain(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where}: target domain must be a non-empty string, got {raw!r}")
    value = raw.strip()
    if "://" in value:
        value = split_host(value)
    host = canonical_host(value.split("/", 1)[0])
    # ``*.acme.com``, ``%2A.acme.com`` and the cookie-style ``.acme.com`` all mean "every
    # subdomain", which a target already matches; written so they would match nothing.
    if "*" in host or host.startswith("."):
        raise ConfigError(
            f"{where}: {raw!r}: wildcards are not supported; a target domain already matches "
            "all its subdomains (write the domain itself, e.g. victim.com)"
        )
    if not host or ("." not in host and host != "localhost"):
        raise ConfigError(f"{where}: {raw!r} is not a valid domain")
    if is_public_suffix(host):
        raise ConfigError(
            f"{where}: {raw!r} is a public suffix (it would match every site under it); "
            "give a registrable domain such as example.co.uk"
        )
    return host


def _strings(table: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a string or a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _parse_toml(text: str, where: str) -> list[Target]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from exc
    unknown_top = set(data) - {"target"}
    if unknown_top:
        raise ConfigError(f"{where}: unknown top-level keys {sorted(unknown_top)}; use [[target]]")
    tables = data.get("target", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{where}: 'target' must be an array of tables: write [[target]]")
    targets = []
    for index, table in enumerate(tables, start=1):
        here = f"{where}: target #{index}"
        if not isinstance(table, dict):
            raise ConfigError(f"{here}: must be a table")
        unknown = set(table) - _TARGET_KEYS
        if unknown:
            raise ConfigError(
                f"{here}: unknown keys {sorted(unknown)} (allowed: {sorted(_TARGET_KEYS)})"
            )
        if "domain" not in table:
            raise ConfigError(f"{here}: 'domain' is required")
        targets.append(
            Target(
                domain=_domain(table["domain"], here),
                brand=_strings(table, "brand", here),
                keywords=_strings(table, "keywords", here),
                generic=_strings(table, "generic", here),
            )
        )
    return targets


def _merge(targets: Iterable[Target]) -> tuple[Target, ...]:
    """Merge repeated domains, keeping first-seen order of domains and terms."""
    merged: dict[str, Target] = {}
    for target in targets:
        old = merged.get(target.domain)
        if old is None:
            merged[target.domain] = target
            continue
        merged[target.domain] = Target(
            domain=target.domain,
            brand=tuple(dict.fromkeys(old.brand + target.brand)),
            keywords=tuple(dict.fromkeys(old.keywords + target.keywords)),
            generic=tuple(dict.fromkeys(old.generic + target.generic)),
        )
    return tuple(merged.values())
