"""The referring domains whose Common Crawl captures ``linkspider archive --crawl`` reads.

``--domains`` is a file: one domain (or host, or URL) a line with ``#`` comments (a
``seeds.txt`` of ``linkspider discover`` is one), or a CSV file with a ``domain`` or
``name`` column (``referring_candidates.csv`` of ``linkspider discover``, or
``referring_domains.csv`` of an earlier run). An entry that is a host below its domain
(``blog.example.com``) selects that host and its subdomains only.

Names are matched in punycode, as the index stores them. Public suffixes (``com``,
``co.uk``, ``blogspot.com``) are refused: they would select every site under them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import tldextract

from linkspider.archive.ccindex import DomainChoice
from linkspider.config.sources import ConfigError, read_source
from linkspider.core.domains import is_public_suffix
from linkspider.core.urls import canonical_host, split_host

#: ICANN suffixes only: the index's ``url_host_registered_domain`` is one level below the
#: registry suffix (``blogspot.com`` for ``x.blogspot.com``). Bundled snapshot, no fetch.
_ICANN = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
#: Columns naming a domain in the CSV files linkspider writes, in order of preference.
_CSV_COLUMNS = ("domain", "referring_domain", "name", "host")


def registered_domain(host: str) -> str:
    """The host's domain one level below its ICANN suffix (as Common Crawl's index)."""
    result = _ICANN(host)
    if result.suffix and result.domain:
        return f"{result.domain}.{result.suffix}"
    return ".".join(host.split(".")[-2:])


def domain_choice(entry: str) -> DomainChoice:
    """One entry (domain, host or URL) as a :class:`DomainChoice`; ConfigError if invalid."""
    value = entry.strip()
    if "://" in value:
        value = split_host(value)
    host = canonical_host(value.split("/", 1)[0])
    if not host or "." not in host or "*" in host or host.replace(".", "").isdigit():
        raise ConfigError(f"{entry!r} is not a domain name")
    if is_public_suffix(host):
        raise ConfigError(f"{entry!r} is a public suffix: it would select every site under it")
    return DomainChoice(host, registered_domain(host))


def parse_domains(text: str, where: str) -> tuple[DomainChoice, ...]:
    """Domains of a list or CSV text (see module doc), deduplicated, in their order."""
    entries = _csv_entries(text) if _looks_like_csv(text) else _lines(text)
    choices: dict[str, DomainChoice] = {}
    for number, entry in entries:
        try:
            choice = domain_choice(entry)
        except ConfigError as exc:
            raise ConfigError(f"{where}:{number}: {exc}") from None
        choices.setdefault(choice.name, choice)
    if not choices:
        raise ConfigError(f"{where} holds no domain")
    return tuple(choices.values())


def load_domains(spec: str) -> tuple[DomainChoice, ...]:
    """``--domains``: a file (see module doc) or an inline comma/space separated list."""
    text, path = read_source(spec, "domains")
    if path is None:
        text = "\n".join(text.replace(",", " ").split())
    return parse_domains(text, path or "domains")


def _lines(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if entry:
            yield number, entry


def _looks_like_csv(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "," in first and any(name.strip().lower() in _CSV_COLUMNS for name in first.split(","))


def _csv_entries(text: str) -> Iterable[tuple[int, str]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.strip().lower(): name for name in reader.fieldnames or ()}
    column = next(fields[c] for c in _CSV_COLUMNS if c in fields)
    for number, row in enumerate(reader, start=2):
        value = (row.get(column) or "").strip()
        if value:
            yield number, value
