"""The components' options objects: read once from the settings, defaults from the settings
registry (the one place a default is written), a bad value fails at start naming the
setting."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from linkspider.core.setting_values import (
    SettingValueError,
    bool_setting,
    float_setting,
    int_setting,
    text_setting,
)
from linkspider.middlewares.robots import RobotsOptions
from linkspider.middlewares.site_budget import DEFAULT_COUNTER, BudgetOptions
from linkspider.middlewares.traps import TrapOptions
from linkspider.policy.traps import TrapLimits
from linkspider.render.browser import RenderConfigError, RenderOptions
from linkspider.settings_reference import by_name, default_of


def default(name: str) -> object:
    return by_name()[name].default


def test_options_without_settings_hold_the_registrys_defaults() -> None:
    empty = Settings()
    assert RobotsOptions.from_settings(empty) == RobotsOptions(
        retries=default("LINKSPIDER_ROBOTS_RETRIES"),  # type: ignore[arg-type]
        retry_delay=default("LINKSPIDER_ROBOTS_RETRY_DELAY"),  # type: ignore[arg-type]
        max_age=default("LINKSPIDER_ROBOTS_CACHE_SECONDS"),  # type: ignore[arg-type]
        max_bytes=default("LINKSPIDER_ROBOTS_MAX_BYTES"),  # type: ignore[arg-type]
        crawl_delay_cap=default("LINKSPIDER_CRAWL_DELAY_MAX"),  # type: ignore[arg-type]
    )
    assert TrapOptions.from_settings(empty).limits == TrapLimits(
        max_url_length=default("LINKSPIDER_MAX_URL_LENGTH"),  # type: ignore[arg-type]
        max_segment_repeats=default("LINKSPIDER_TRAP_SEGMENT_REPEATS"),  # type: ignore[arg-type]
        max_per_pattern=default("LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN"),  # type: ignore[arg-type]
    )
    assert BudgetOptions.from_settings(empty) == BudgetOptions(
        max_pages=default("LINKSPIDER_MAX_PAGES_PER_SITE"),  # type: ignore[arg-type]
        counter=DEFAULT_COUNTER,
    )
    assert default("LINKSPIDER_BUDGET_COUNTER") == DEFAULT_COUNTER
    assert RenderOptions.from_settings(empty) == RenderOptions()
    assert RenderOptions().timeout == default("LINKSPIDER_RENDER_TIMEOUT")


def test_settings_given_as_text_are_read_typed() -> None:
    """-s NAME=VALUE gives text."""
    settings = Settings({"LINKSPIDER_ROBOTS_RETRIES": "0", "LINKSPIDER_CRAWL_DELAY_MAX": "5"})
    options = RobotsOptions.from_settings(settings)
    assert (options.retries, options.crawl_delay_cap) == (0, 5.0)
    assert TrapOptions.from_settings(Settings({"LINKSPIDER_MAX_URL_LENGTH": "0"})).limits == (
        TrapLimits(max_url_length=0)
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LINKSPIDER_ROBOTS_RETRIES", "-1", "LINKSPIDER_ROBOTS_RETRIES: must be 0 or more, got -1"),
        ("LINKSPIDER_ROBOTS_RETRIES", "two", "LINKSPIDER_ROBOTS_RETRIES: expected a whole number"),
        ("LINKSPIDER_CRAWL_DELAY_MAX", "-5", "LINKSPIDER_CRAWL_DELAY_MAX: must be 0 or more"),
        (
            "LINKSPIDER_ROBOTS_RETRY_DELAY",
            "soon",
            "LINKSPIDER_ROBOTS_RETRY_DELAY: expected a number",
        ),
    ],
)
def test_robots_options_refuse_bad_values(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingValueError, match=message):
        RobotsOptions.from_settings(Settings({name: value}))


@pytest.mark.parametrize(
    "name",
    [
        "LINKSPIDER_MAX_URL_LENGTH",
        "LINKSPIDER_TRAP_SEGMENT_REPEATS",
        "LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN",
    ],
)
def test_trap_options_refuse_negative_limits(name: str) -> None:
    with pytest.raises(SettingValueError, match=f"{name}: must be 0 or more, got -3"):
        TrapOptions.from_settings(Settings({name: -3}))


def test_budget_options_refuse_a_negative_budget() -> None:
    with pytest.raises(SettingValueError, match="LINKSPIDER_MAX_PAGES_PER_SITE: must be 0"):
        BudgetOptions.from_settings(Settings({"LINKSPIDER_MAX_PAGES_PER_SITE": "-1"}))


def test_render_options_name_the_setting() -> None:
    with pytest.raises(RenderConfigError, match="LINKSPIDER_RENDER_TIMEOUT: expected a number"):
        RenderOptions.from_settings(Settings({"LINKSPIDER_RENDER_TIMEOUT": "slow"}))
    with pytest.raises(RenderConfigError, match="LINKSPIDER_RENDER_MAX_PAGES must be >= 1"):
        RenderOptions.from_settings(Settings({"LINKSPIDER_RENDER_MAX_PAGES": 0}))


def test_typed_reads_fall_back_to_the_registry() -> None:
    empty = Settings()
    assert int_setting(empty, "LINKSPIDER_DEPTH") == default("LINKSPIDER_DEPTH")
    assert float_setting(empty, "LINKSPIDER_SITEWIDE_MIN_SHARE") == 0.5
    assert bool_setting(empty, "LINKSPIDER_SSRF_GUARD") is True
    assert text_setting(empty, "LINKSPIDER_OUTPUT_ROOT") == "output"
    assert text_setting(Settings({"LINKSPIDER_WARC_DIR": ""}), "LINKSPIDER_WARC_DIR") == ""
    with pytest.raises(SettingValueError, match="LINKSPIDER_SSRF_GUARD: expected true or false"):
        bool_setting(Settings({"LINKSPIDER_SSRF_GUARD": "maybe"}), "LINKSPIDER_SSRF_GUARD")


def test_a_default_of_the_wrong_kind_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="LINKSPIDER_OUTPUT_ROOT"):
        default_of("LINKSPIDER_OUTPUT_ROOT", int)
