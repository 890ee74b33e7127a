"""LINKSPIDER_GC_FREEZE: the start-up objects leave the collector's generations, in the
crawl's process (an extension, when the engine has started) and in an extraction process
(after its setup); off, the collector is left as it is."""

from __future__ import annotations

import gc
import io
import weakref
from collections.abc import Iterator

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from linkspider.addon import SCRAPY_SETTINGS
from linkspider.config.targets import load_targets
from linkspider.core.gcfreeze import ENV
from linkspider.extensions.gc_freeze import GcFreezeExtension
from linkspider.extract.crawl_page import CrawlExtraction
from linkspider.offload.worker import SETUP, frame, serve

NAME = "linkspider.extensions.gc_freeze.GcFreezeExtension"


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen in this (pytest's) process."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def tracked(value: object) -> bool:
    """Whether a full collection would walk ``value`` (it is in one of the generations)."""
    return any(obj is value for obj in gc.get_objects())


def test_it_is_one_of_the_crawls_extensions() -> None:
    assert NAME in SCRAPY_SETTINGS["EXTENSIONS"]


def test_engine_start_freezes_what_is_alive_and_counts_it() -> None:
    crawler = get_crawler(Spider)
    extension = GcFreezeExtension.from_crawler(crawler)
    before = [object()]  # made at start-up: lives as long as the crawl
    assert tracked(before) and gc.get_freeze_count() == 0
    extension.engine_started()
    assert not tracked(before)  # out of every generation: full collections skip it
    assert crawler.stats is not None
    frozen = crawler.stats.get_value("linkspider/gc/frozen_objects")
    assert frozen == gc.get_freeze_count() > 1000
    after = [object()]  # made by the crawl: collected as usual
    assert tracked(after)
    extension.engine_stopped()  # the crawl is over: back within the collector's reach
    assert tracked(before) and gc.get_freeze_count() == 0


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_garbage_is_collected_before_the_freeze() -> None:
    extension = GcFreezeExtension.from_crawler(get_crawler(Spider))
    gc.disable()  # no automatic collection between the two checks
    try:
        node = Node()
        gone = weakref.ref(node)
        del node
        assert gone() is not None  # garbage, not yet collected
        extension.engine_started()
        assert gone() is None  # freed, not frozen for the rest of the crawl
    finally:
        gc.enable()


@pytest.mark.parametrize("value", ["False", "0", "false"])
def test_off_leaves_the_collector_alone(value: str) -> None:
    with pytest.raises(NotConfigured):
        GcFreezeExtension.from_crawler(get_crawler(Spider, {"LINKSPIDER_GC_FREEZE": value}))
    assert gc.get_freeze_count() == 0


def test_a_bad_value_is_named() -> None:
    with pytest.raises(ValueError, match="LINKSPIDER_GC_FREEZE"):
        GcFreezeExtension.from_crawler(get_crawler(Spider, {"LINKSPIDER_GC_FREEZE": "maybe"}))


@pytest.mark.parametrize(("env", "frozen"), [("1", True), ("0", False), (None, True)])
def test_an_extraction_process_freezes_after_its_setup(
    env: str | None, frozen: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, env)
    setup = CrawlExtraction(load_targets("acme-boots.com"))
    serve(io.BytesIO(frame((SETUP, setup))), io.BytesIO())
    assert (gc.get_freeze_count() > 1000) is frozen
