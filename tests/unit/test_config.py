"""targets / seeds arguments: every accepted form, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkspider.config.args import CrawlConfig
from linkspider.config.seeds import load_seeds
from linkspider.config.sources import ConfigError
from linkspider.config.targets import load_targets


def test_targets_star_is_outlink_mode() -> None:
    assert load_targets("*").all_external


def test_targets_comma_list_and_urls() -> None:
    targets = load_targets("Acme-Boots.com, https://www.globex.co.uk/x ,bücher.de")
    assert [t.domain for t in targets.targets] == [
        "acme-boots.com", "www.globex.co.uk", "xn--bcher-kva.de",
    ]  # fmt: skip


def test_targets_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(
        '[[target]]\ndomain = "acme-boots.com"\nbrand = ["Acme Boots", "Acme"]\n'
        'keywords = ["hiking boots"]\n\n[[target]]\ndomain = "acme-boots.com"\nbrand = "ACME"\n',
        encoding="utf-8",
    )
    (target,) = load_targets(str(path)).targets
    assert target.brand == ("Acme Boots", "Acme", "ACME")  # repeated domains merge
    assert target.keywords == ("hiking boots",)


def test_targets_inline_toml() -> None:
    (target,) = load_targets('[[target]]\ndomain = "acme.com"').targets
    assert target.domain == "acme.com"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("missing-file.toml", "not found"),
        ("[[target]]\ndomain = ", "invalid TOML"),
        ("[[target]]\nbrand = 'x'", "'domain' is required"),
        ("[[target]]\ndomain = 'a.com'\nkeyword = ['x']", "unknown keys ['keyword']"),
        ("[[target]]\ndomain = 'a.com'\nbrand = [1]", "'brand' must be"),
        ("[targets]\ndomain='a.com'", "unknown top-level keys"),
        ("not a domain!", "not a valid domain"),
    ],
)
def test_targets_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_targets(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("co.uk", "'co.uk' is a public suffix"),  # ICANN section
        ("blogspot.com", "'blogspot.com' is a public suffix"),  # private section
        ("acme.com, github.io", "'github.io' is a public suffix"),
        ("https://s3.amazonaws.com/bucket", "is a public suffix"),
        ("[[target]]\ndomain = 'co.uk'", "target #1: 'co.uk' is a public suffix"),
        ("*.victim.com", "wildcards are not supported"),
        ("acme.com,*.victim.com", "wildcards are not supported"),
        ("%2A.victim.com", "wildcards are not supported"),
        (".victim.com", "wildcards are not supported"),
        ("https://*.victim.com/", "wildcards are not supported"),
        ("[[target]]\ndomain = '*.victim.com'", "wildcards are not supported"),
    ],
)
def test_targets_refuse_public_suffixes_and_wildcards(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_targets(spec)
    assert "\n" not in str(error.value)


def test_targets_under_a_public_suffix_are_sites() -> None:
    targets = load_targets("acme.blogspot.com, globex.co.uk, www.ck")
    assert [t.domain for t in targets.targets] == ["acme.blogspot.com", "globex.co.uk", "www.ck"]


def test_seeds_file_with_comments_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text(
        "\ufeff# prospects\n\noutdoor-blog.com\nhttps://News.Example.co.uk/a#frag  # trailing\n"
        "ftp://files.example.com/\nnot a url\noutdoor-blog.com\n",
        encoding="utf-8",
    )
    seeds = load_seeds(str(path))
    assert [(s.url, s.fallback_url) for s in seeds.seeds] == [
        ("https://outdoor-blog.com/", "http://outdoor-blog.com/"),
        ("https://news.example.co.uk/a", None),
    ]
    assert [(line, raw) for line, raw, _ in seeds.rejected] == [
        (5, "ftp://files.example.com/"), (6, "not a url"),
    ]  # fmt: skip


def test_seeds_comma_list_and_bare_domain_with_path() -> None:
    seeds = load_seeds("bücher.de/blog, http://a.com/")
    assert seeds.seeds[0].url == "https://xn--bcher-kva.de/blog"
    assert seeds.seeds[0].fallback_url == "http://xn--bcher-kva.de/blog"
    assert seeds.seeds[1].fallback_url is None


@pytest.mark.parametrize(("spec", "message"), [("", "empty"), ("x.txt", "not found"),
                                               ("bad one, ftp://x.com", "no valid seed")])  # fmt: skip
def test_seeds_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_seeds(spec)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": "a.com"}, "missing argument"),
        ({"targets": "a.com", "seeds": "b.com", "scope": "world"}, "scope"),
        ({"targets": "a.com", "seeds": "b.com", "depth": "-1"}, "depth"),
        ({"targets": "a.com", "seeds": "b.com", "max_pages_per_site": "lots"}, "max_pages"),
    ],
)
def test_argument_errors(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CrawlConfig.from_kwargs(kwargs)


def test_extra_arguments_allowed() -> None:
    config = CrawlConfig.from_kwargs(
        {"targets": "a.com", "seeds": "b.com", "_job": "x", "scope": "PAGE"}
    )
    assert config.args.scope == "page"
