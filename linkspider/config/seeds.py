"""Seeds: where the crawl starts.

``seeds`` is a file (one URL or bare domain per line; ``#`` comments and blank lines are
ignored) or a comma/whitespace-separated list. A bare domain (``outdoor-blog.com``, or
``outdoor-blog.com/blog``) means that page over https, falling back to http when the https
connection fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import ada_url

from linkspider.config.sources import ConfigError, read_source


@dataclass(frozen=True)
class Seed:
    """A start URL; ``fallback_url`` is tried when ``url`` cannot be connected to."""

    url: str
    fallback_url: str | None = None


@dataclass(frozen=True)
class SeedList:
    seeds: tuple[Seed, ...]
    #: ``(line or position, raw value, why)`` for entries that were skipped.
    rejected: tuple[tuple[int, str, str], ...] = ()
    #: the seeds file, if the seeds came from one (``rejected`` numbers are its lines)
    source: str | None = None

    def rejection_messages(self) -> list[str]:
        """One line per skipped entry, naming the file and line (or the list position)."""
        return [_where(self.source, n) + f": skipped seed {raw!r}: {why}"
                for n, raw, why in self.rejected]  # fmt: skip


def load_seeds(spec: str) -> SeedList:
    """Parse the ``seeds`` argument. Bad entries are reported, not fatal, unless all are bad."""
    if not spec or not spec.strip():
        raise ConfigError("seeds is empty: give URLs, domains, or a file with one per line")
    text, path = read_source(spec, "seeds")
    if path is not None:
        entries = [
            (number, line.split(" #", 1)[0].strip())
            for number, line in enumerate(text.splitlines(), start=1)
        ]
        entries = [(n, e) for n, e in entries if e and not e.startswith("#")]
    else:
        items = [i for i in text.replace(",", " ").split() if i and not i.startswith("#")]
        entries = list(enumerate(items, start=1))
    seeds: dict[str, Seed] = {}
    rejected: list[tuple[int, str, str]] = []
    for number, entry in entries:
        try:
            seed = parse_seed(entry)
        except ConfigError as exc:
            rejected.append((number, entry, str(exc)))
            continue
        seeds.setdefault(seed.url, seed)
    if not seeds:
        if not entries:
            what = f"seeds file {path}" if path else "seeds"
            raise ConfigError(f"{what} has no seed (only blank or # lines)")
        detail = "; ".join(f"{_where(path, n)} {raw!r}: {why}" for n, raw, why in rejected[:5])
        raise ConfigError(f"{path or 'seeds'}: no valid seed ({detail})")
    return SeedList(seeds=tuple(seeds.values()), rejected=tuple(rejected), source=path)


def _where(path: str | None, number: int) -> str:
    return f"{path}:{number}" if path else f"seeds entry #{number}"


def parse_seed(entry: str) -> Seed:
    """One seed from a URL or a bare domain (with an optional path)."""
    value = entry.strip()
    if "://" in value:
        scheme = value.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ConfigError(f"unsupported scheme {scheme!r} (only http and https)")
        return Seed(url=_canonical(value))
    if value.startswith("//"):
        value = value[2:]
    https = _canonical(f"https://{value}")
    return Seed(url=https, fallback_url=_canonical(f"http://{value}"))


def _canonical(url: str) -> str:
    try:
        parsed = ada_url.URL(url)
    except ValueError:
        raise ConfigError("not a valid URL or domain") from None
    host = str(parsed.hostname)
    if not host or ("." not in host and host != "localhost" and not host.startswith("[")):
        raise ConfigError("not a valid URL or domain")
    href = str(parsed.href)
    return href.split("#", 1)[0]
