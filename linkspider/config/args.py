"""Spider arguments, validated up front so a bad argument fails at start, clearly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from linkspider.config.discover_seeds import (
    Discovered,
    check_discover_targets,
    discover_seeds,
    with_discovered,
)
from linkspider.config.placements import ExpectedLinks, load_placements
from linkspider.config.seeds import Seed, SeedList, load_seeds
from linkspider.config.sources import ConfigError
from linkspider.config.targets import TargetSet, load_targets


class CrawlArgs(BaseModel):
    """``-a name=value`` arguments of ``scrapy crawl backlinks``.

    Arguments starting with ``_`` are allowed and ignored (Scrapyd adds ``_job``); any
    other unknown name is an error (:func:`unknown_arguments`), so a misspelt limit
    (``-a max_pages=5``) is never silently ignored.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    targets: str | None = Field(
        default=None, description="TOML file or text, comma list of domains, or '*'"
    )
    seeds: str | None = Field(
        default=None, description="file with one URL/domain per line, or a comma list"
    )
    scope: Literal["site", "page"] = Field(
        default="site", description="site: crawl each seed's site; page: fetch only the seeds"
    )
    max_pages_per_site: int | None = Field(
        default=None, ge=1, description="page budget per seed site",
        json_schema_extra={"setting": "LINKSPIDER_MAX_PAGES_PER_SITE"},
    )  # fmt: skip
    depth: int | None = Field(
        default=None, ge=0, description="link depth from the seed; 0: seeds only",
        json_schema_extra={"setting": "LINKSPIDER_DEPTH"},
    )  # fmt: skip
    output_dir: str | None = Field(
        default=None, description="run folder (made if missing)",
        json_schema_extra={"setting": "LINKSPIDER_OUTPUT_ROOT", "default": "a new folder in {}/"},
    )  # fmt: skip
    render: Literal["off", "auto", "always"] | None = Field(
        default=None, description="render pages in Chromium to find links scripts write",
        json_schema_extra={"setting": "LINKSPIDER_RENDER"},
    )  # fmt: skip
    expect: str | None = Field(default=None, description="CSV of placed links to verify")
    check_targets: bool = Field(
        default=False, description="request each linked target URL once; list broken backlinks"
    )
    discover: str | None = Field(
        default=None,
        description="Common Crawl web-graph release (name or folder): also seed with the "
        "domains its graph says link to the targets",
    )
    discover_top: int | None = Field(
        default=None, ge=1, description="with discover: seed only the N most central candidates"
    )
    discover_level: Literal["domain", "host"] = Field(
        default="domain", description="with discover: candidates are domains or hosts"
    )
    warc: str | None = Field(
        default=None, description="folder to record the crawl's WARC files into",
        json_schema_extra={"setting": "LINKSPIDER_WARC_DIR"},
    )  # fmt: skip

    @field_validator("check_targets", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1", "yes", "on"):
                return True
            if lowered in ("false", "0", "no", "off", ""):
                return False
            raise ValueError(f"expected true/false (1/0, yes/no), got {value!r}")
        return value

    @field_validator("scope", "render", "discover_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class ArgumentSettings:
    """The settings a crawl's arguments set, so that every component reads them once, like
    any setting: ``explicit`` ones at the command line's priority (the user gave them),
    ``implied`` ones at the spider's (consequences of an argument, which a ``-s`` wins over)."""

    explicit: dict[str, object] = field(default_factory=dict)
    implied: dict[str, object] = field(default_factory=dict)


def follows_links(scope: str, depth: int) -> bool:
    """Whether pages are followed: ``depth=0`` means "the seeds only" (where Scrapy's
    ``DEPTH_LIMIT=0`` would mean "no limit")."""
    return scope == "site" and depth > 0


class CrawlConfig:
    """Parsed arguments: the target set and the seed list, ready to use."""

    def __init__(
        self,
        args: CrawlArgs,
        targets: TargetSet,
        seeds: SeedList,
        placements: ExpectedLinks | None = None,
        discovered: Discovered | None = None,
    ) -> None:
        self.args = args
        self.targets = targets
        self.seeds = seeds
        self.placements = placements  # with -a expect=...
        self.discovered = discovered  # with -a discover=...

    def argument_settings(self, output_dir: str) -> ArgumentSettings:
        """The run's settings from its arguments (``output_dir``: the prepared run folder).

        With ``-a expect``, every listed page is wanted: no page budget (unless given) and no
        URL-pattern limit.
        """
        args = self.args
        explicit: dict[str, object] = {
            "LINKSPIDER_OUTPUT_DIR": output_dir,
            "LINKSPIDER_SCOPE": args.scope,
            "LINKSPIDER_TARGETS": self.targets.describe(),
        }
        optional = {
            "LINKSPIDER_MAX_PAGES_PER_SITE": args.max_pages_per_site,
            "LINKSPIDER_DEPTH": args.depth,
            "LINKSPIDER_RENDER": args.render,
            "LINKSPIDER_CHECK_TARGETS": True if args.check_targets else None,
            "LINKSPIDER_WARC_DIR": args.warc or None,
        }
        explicit.update((name, value) for name, value in optional.items() if value is not None)
        implied: dict[str, object] = {}
        if self.placements is not None and self.placements.source_pages():
            if args.max_pages_per_site is None:
                implied["LINKSPIDER_MAX_PAGES_PER_SITE"] = 0
            implied["LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN"] = 0
        return ArgumentSettings(explicit, implied)

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> CrawlConfig:
        problem = unknown_arguments(kwargs)
        if problem:  # before "missing": -a max_pages=5 may be why targets looks absent
            raise ConfigError(problem)
        if kwargs.get("expect"):
            if kwargs.get("discover"):
                raise ConfigError("-a expect=... checks the listed pages only: drop -a discover")
            return expect_config(kwargs)
        needed = ("targets",) if kwargs.get("discover") else ("targets", "seeds")
        missing = [name for name in needed if not kwargs.get(name)]
        if missing:
            raise ConfigError(
                "missing argument(s) "
                + ", ".join(f"-a {m}=..." for m in missing)
                + " (e.g. -a targets=acme-boots.com -a seeds=seeds.txt, or -a discover=RELEASE)"
            )
        args = validated_args(kwargs)
        assert args.targets is not None
        if args.discover:
            return discover_config(args)
        if kwargs.get("discover_top") or kwargs.get("discover_level"):
            raise ConfigError("-a discover_top and -a discover_level need -a discover=RELEASE")
        assert args.seeds is not None
        return cls(args, load_targets(args.targets), load_seeds(args.seeds))


def unknown_arguments(kwargs: dict[str, Any]) -> str | None:
    """A one-line error naming unknown argument(s) and the valid ones, or None."""
    unknown = sorted(k for k in kwargs if not k.startswith("_") and k not in CrawlArgs.model_fields)
    if not unknown:
        return None
    return (
        f"unknown argument(s) {', '.join(f'-a {k}' for k in unknown)}; valid arguments: "
        + ", ".join(CrawlArgs.model_fields)
    )


def validated_args(kwargs: dict[str, Any]) -> CrawlArgs:
    problem = unknown_arguments(kwargs)
    if problem:
        raise ConfigError(problem)
    try:
        return CrawlArgs(**kwargs)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid argument: {problems}") from None


def expect_config(kwargs: dict[str, Any]) -> CrawlConfig:
    """``-a expect=placements.csv``: fetch exactly the expectation's source pages.

    Seeds come from the file (giving ``seeds`` too is an error), the scope is ``page``, and
    the targets default to the registrable domains of the expected targets (``targets`` may
    still be given, for brand terms and keywords in backlinks.csv).
    """
    if kwargs.get("seeds"):
        raise ConfigError("-a expect=... fetches the source pages of the file: drop -a seeds")
    if str(kwargs.get("scope") or "page").strip().lower() != "page":
        raise ConfigError("-a expect=... fetches only the listed pages: scope must be page")
    placements = load_placements(str(kwargs["expect"]))
    pages = placements.source_pages()
    targets_spec = kwargs.get("targets") or ",".join(placements.target_sites())
    seeds = SeedList(
        seeds=tuple(Seed(url, rows[0].fallback_url) for url, rows in pages.items()),
        source=placements.source,
    )
    args = validated_args(
        {**kwargs, "targets": targets_spec, "seeds": "(from expect)", "scope": "page"}
    )
    return CrawlConfig(args, load_targets(targets_spec), seeds, placements)


def discover_config(args: CrawlArgs) -> CrawlConfig:
    """``-a discover=RELEASE``: the graph's candidates as seeds, with ``-a seeds`` if given."""
    assert args.targets is not None and args.discover is not None
    targets = load_targets(args.targets)
    check_discover_targets(targets)
    discovered = discover_seeds(args.discover, targets, args.discover_top, args.discover_level)
    given = load_seeds(args.seeds) if args.seeds else None
    return CrawlConfig(args, targets, with_discovered(given, discovered), discovered=discovered)
