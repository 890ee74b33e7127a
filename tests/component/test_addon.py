"""linkspider's Scrapy add-on (docs/addon.md): a foreign Scrapy project that only enables it
gets the effective settings of linkspider's own project, and the same backlink rows; a
project's own settings win over the add-on's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import CrawlerRunner
from scrapy.settings import BaseSettings, Settings

from linkspider.addon import OWN_DEFAULTS, SCRAPY_SETTINGS, install_defaults
from linkspider.cli import DEMO_SETTINGS
from linkspider.testweb import TestWeb
from tests.conftest import SAMPLE_SEEDS, SAMPLE_TARGETS, CrawlRun, run_crawl
from tests.support.paths import ROOT

ADDON_PAGE = ROOT / "docs" / "addon.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
#: Settings only a project has: its name, where its spiders and commands are, its add-ons.
PROJECT_ONLY = {"BOT_NAME", "SPIDER_MODULES", "NEWSPIDER_MODULE", "COMMANDS_MODULE", "ADDONS"}
ADDON = {"linkspider.addon.Addon": 0}


def plain(value: Any) -> Any:
    """A setting's value without Scrapy's per-key priorities; classes as import paths."""
    if isinstance(value, BaseSettings):
        value = value.copy_to_dict()
    if isinstance(value, dict):
        return {
            (f"{k.__module__}.{k.__qualname__}" if isinstance(k, type) else k): plain(v)
            for k, v in value.items()
        }
    return value


def effective(settings: Settings, spider: str = "backlinks") -> dict[str, Any]:
    """The settings a crawl of ``spider`` runs with (add-ons applied as Scrapy does)."""
    crawler = CrawlerRunner(settings).create_crawler(spider)
    crawler.addons.load_settings(crawler.settings)
    return {name: plain(crawler.settings[name]) for name in crawler.settings}


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("linkspider.settings", priority="project")
    return settings


def foreign_settings(**own: Any) -> Settings:
    return Settings(
        {"ADDONS": ADDON, "SPIDER_MODULES": ["linkspider.spiders"], **own}, priority="project"
    )


def without_project_only(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name not in PROJECT_ONLY}


@pytest.mark.parametrize("spider", ["backlinks", "backlinks_distributed"])
def test_a_foreign_project_gets_the_projects_effective_settings(spider: str) -> None:
    ours = effective(project_settings(), spider)
    theirs = effective(foreign_settings(), spider)
    assert without_project_only(theirs) == without_project_only(ours)
    # ...and they are linkspider's: its components, its defaults.
    assert ours["DOWNLOADER_MIDDLEWARES"] == SCRAPY_SETTINGS["DOWNLOADER_MIDDLEWARES"]
    assert ours["DOWNLOAD_DELAY"] == 0.5 and ours["LOG_LEVEL"] == "INFO"
    if spider == "backlinks":
        assert {name: ours[name] for name in OWN_DEFAULTS} == OWN_DEFAULTS
    else:  # the spider's own settings stay above the add-on's
        assert ours["EXTENSIONS"]["linkspider.extensions.run_report.RunReportExtension"] is None
        assert ours["LINKSPIDER_BUDGET_COUNTER"].endswith("RedisBudgetCounter")


def test_the_projects_settings_win_over_the_addons() -> None:
    theirs = effective(
        foreign_settings(
            DOWNLOAD_DELAY=2.0,
            LINKSPIDER_DEPTH=2,
            DOWNLOADER_MIDDLEWARES={
                "myproject.middlewares.ProxyMiddleware": 350,
                "linkspider.middlewares.traps.TrapGuardMiddleware": None,
            },
        )
    )
    assert theirs["DOWNLOAD_DELAY"] == 2.0 and theirs["LINKSPIDER_DEPTH"] == 2
    middlewares = theirs["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["myproject.middlewares.ProxyMiddleware"] == 350
    assert middlewares["linkspider.middlewares.traps.TrapGuardMiddleware"] is None
    assert middlewares["linkspider.middlewares.ssrf.SsrfGuardMiddleware"] == 50  # the others


def test_the_command_line_wins_over_the_addon() -> None:
    settings = foreign_settings()
    settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
    assert effective(settings)["ROBOTSTXT_OBEY"] is False


def test_installing_the_defaults_twice_changes_nothing() -> None:
    once = Settings()
    install_defaults(once)
    twice = once.copy()
    install_defaults(twice)
    assert {n: plain(twice[n]) for n in twice} == {n: plain(once[n]) for n in once}


def documented_settings() -> str:
    """The ``settings.py`` of docs/addon.md's set-up, verbatim."""
    return next(
        str(code)
        for language, code in FENCE.findall(ADDON_PAGE.read_text("utf-8"))
        if language == "python" and "ADDONS" in code
    )


def test_the_documented_settings_module_is_the_minimal_foreign_project() -> None:
    namespace: dict[str, Any] = {}
    exec(documented_settings(), namespace)  # the docs page's own example
    assert namespace["ADDONS"] == ADDON
    assert namespace["SPIDER_MODULES"] == ["linkspider.spiders"]


def foreign_project(folder: Path) -> Path:
    """A Scrapy project folder of its own: scrapy.cfg and the docs page's settings.py."""
    package = folder / "myproject"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    (package / "settings.py").write_text(documented_settings(), "utf-8")
    (folder / "scrapy.cfg").write_text("[settings]\ndefault = myproject.settings\n", "utf-8")
    return folder


#: Columns holding the time of the crawl, which two crawls cannot share.
TIMES = {"first_seen", "last_seen", "fetched_at", "crawled_at"}


def sorted_rows(run: CrawlRun) -> list[tuple[tuple[str, str], ...]]:
    return sorted(
        tuple(sorted((k, v) for k, v in row.items() if k not in TIMES)) for row in run.rows()
    )


@pytest.mark.e2e
def test_a_foreign_project_crawls_the_same_rows(sample_web: TestWeb, tmp_path: Path) -> None:
    ours = run_crawl(sample_web, tmp_path, output_dir=tmp_path / "a" / "out")  # own history
    assert ours.process.returncode == 0, ours.log[-3000:]
    project = foreign_project(tmp_path / "foreign")
    output = tmp_path / "b" / "out"
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks"]
    command += ["-a", f"targets={SAMPLE_TARGETS}", "-a", f"seeds={SAMPLE_SEEDS}"]
    command += ["-a", f"output_dir={output}"]
    for name, value in {**DEMO_SETTINGS, **sample_web.scrapy_settings()}.items():
        command += ["-s", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    process = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    theirs = CrawlRun(process, output)
    assert process.returncode == 0, theirs.log[-3000:]
    assert "'BOT_NAME': 'myproject'" in theirs.log  # the foreign project's settings ran
    assert len(ours.rows()) > 50
    assert sorted_rows(theirs) == sorted_rows(ours)
