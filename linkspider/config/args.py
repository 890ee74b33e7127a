"""Spider arguments, validated up front so a bad argument fails at start, clearly."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from linkspider.config.seeds import SeedList, load_seeds
from linkspider.config.sources import ConfigError
from linkspider.config.targets import TargetSet, load_targets


class CrawlArgs(BaseModel):
    """``-a name=value`` arguments of ``scrapy crawl backlinks``.

    Extra arguments are allowed (Scrapyd adds ``_job``) and ignored.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    targets: str = Field(description="TOML file or text, comma list of domains, or '*'")
    seeds: str = Field(description="file with one URL/domain per line, or a comma list")
    scope: Literal["site", "page"] = "site"
    max_pages_per_site: int | None = Field(default=None, ge=1)
    depth: int | None = Field(default=None, ge=0)
    output_dir: str | None = None

    @field_validator("scope", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class CrawlConfig:
    """Parsed arguments: the target set and the seed list, ready to use."""

    def __init__(self, args: CrawlArgs, targets: TargetSet, seeds: SeedList) -> None:
        self.args = args
        self.targets = targets
        self.seeds = seeds

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> CrawlConfig:
        missing = [name for name in ("targets", "seeds") if not kwargs.get(name)]
        if missing:
            raise ConfigError(
                "missing argument(s) "
                + ", ".join(f"-a {m}=..." for m in missing)
                + " (e.g. -a targets=acme-boots.com -a seeds=seeds.txt)"
            )
        try:
            args = CrawlArgs(**kwargs)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid argument: {problems}") from None
        return cls(args, load_targets(args.targets), load_seeds(args.seeds))
