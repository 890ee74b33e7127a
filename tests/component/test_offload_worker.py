"""The extraction process's side (linkspider/offload/worker.py) and the setting that
starts it: frames, answers equal to in-process extraction, errors answered not raised."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys

import pytest
from scrapy.settings import Settings

from linkspider.config.targets import load_targets
from linkspider.core.gcfreeze import ENV as GC_FREEZE_ENV
from linkspider.extract.client_rendered import client_rendered
from linkspider.extract.crawl_page import CrawlExtraction, PageJob, RenderCheck, crawl_page
from linkspider.extract.fetched_page import FetchedResponse
from linkspider.offload.pool import extract_processes
from linkspider.offload.worker import SETUP, FrameReader, frame, serve

URL = "https://outdoor-blog.com/reviews/"
BODY = b"""<!doctype html><html><head><title>Reviews</title></head><body>
<nav><a href="/">Home</a> <a href="/about.html">About</a></nav>
<main><p>Our favourite <a href="https://acme-boots.com/boots" rel="ugc">hiking boots</a>.</p>
<p>More: <a href="/reviews/tents.html">tents</a> <a href="/x.pdf">PDF</a>.</p></main></body></html>"""
APP = b'<html><body><div id="root"></div><script src="/static/js/main.1a2b.js"></script></body></html>'
SETUP_VALUE = CrawlExtraction(load_targets("acme-boots.com"))


@pytest.fixture(autouse=True)
def _no_gc_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` runs in pytest's process here: its objects stay collectable
    (tests/component/test_gc_freeze.py checks the freeze)."""
    monkeypatch.setenv(GC_FREEZE_ENV, "0")


def _job(body: bytes = BODY) -> PageJob:
    return PageJob(FetchedResponse(URL, 200, body, "text/html", {}, "2026-01-01T00:00:00Z", 1))


def _answers(*messages: object) -> list[tuple[int, object, str]]:
    source = io.BytesIO(b"".join(frame(m) for m in messages))
    sink = io.BytesIO()
    answered = serve(source, sink)
    answers = FrameReader().feed(sink.getvalue())
    assert answered == len(answers)
    return answers


def test_frames_come_out_whole_from_any_pieces() -> None:
    values = [("a", 1), b"x" * 70_000, {"k": [1, 2, 3]}]
    data = b"".join(frame(v) for v in values)
    for step in (1, 3, 4, 5, 4096, len(data)):
        reader = FrameReader()
        got = [v for i in range(0, len(data), step) for v in reader.feed(data[i : i + step])]
        assert got == values


def test_a_corrupt_length_is_an_error_not_a_huge_read() -> None:
    with pytest.raises(ValueError, match="corrupt"):
        FrameReader().feed(b"\xff\xff\xff\xff" + b"junk")


def test_answers_equal_extraction_in_this_process() -> None:
    answers = _answers((SETUP, SETUP_VALUE), (7, _job()), (8, RenderCheck(APP, "text/html")))
    assert [(job_id, error) for job_id, _, error in answers] == [(7, ""), (8, "")]
    page = answers[0][1]
    assert page == crawl_page(_job(), SETUP_VALUE)
    assert [(r.target_url, r.anchor_text, r.ugc) for r in page.rows] == [  # type: ignore[attr-defined]
        ("https://acme-boots.com/boots", "hiking boots", True)
    ]
    assert page.follow == [  # type: ignore[attr-defined]
        "https://outdoor-blog.com/", "https://outdoor-blog.com/about.html",
        "https://outdoor-blog.com/reviews/tents.html",
    ]  # fmt: skip
    assert answers[1][1] == client_rendered(APP, "text/html")
    assert answers[1][1].render  # type: ignore[attr-defined]


def test_a_job_that_fails_is_answered_with_its_error() -> None:
    answers = _answers((1, _job()), (SETUP, SETUP_VALUE), (2, "not a job"), (3, _job()))
    assert answers[0][:2] == (1, None) and "before the crawl's targets" in answers[0][2]
    assert answers[1][:2] == (2, None) and answers[1][2] == "TypeError: not an extraction job: str"
    assert answers[2][1] is not None and answers[2][2] == ""


def test_the_process_answers_on_its_stdout_and_ends_with_its_input() -> None:
    data = frame((SETUP, SETUP_VALUE)) + frame((5, _job()))
    worker = subprocess.run(
        [sys.executable, "-m", "linkspider.offload.worker"], input=data, capture_output=True,
        timeout=120, check=True,
    )  # fmt: skip
    ((job_id, page, error),) = FrameReader().feed(worker.stdout)
    assert (job_id, error) == (5, "") and page == crawl_page(_job(), SETUP_VALUE)


def test_a_truncated_job_ends_the_process_quietly() -> None:
    data = frame((SETUP, SETUP_VALUE)) + frame((5, _job()))[:-10]
    worker = subprocess.run(
        [sys.executable, "-m", "linkspider.offload.worker"], input=data, capture_output=True,
        timeout=120, check=True,
    )  # fmt: skip
    assert worker.stdout == b""


@pytest.mark.parametrize(
    ("value", "cores", "processes"),
    [("auto", 1, 0), ("auto", 2, 1), ("auto", 16, 1), ("0", 8, 0), ("3", 1, 3), (" AUTO ", 4, 1)],
)
def test_the_setting(value: str, cores: int, processes: int) -> None:
    settings = Settings({"LINKSPIDER_EXTRACT_PROCESSES": value})
    assert extract_processes(settings, cpu_count=cores) == processes


@pytest.mark.parametrize("value", ["-1", "two", "1.5", ""])
def test_a_bad_setting_names_itself(value: str) -> None:
    with pytest.raises(ValueError, match="LINKSPIDER_EXTRACT_PROCESSES: expected auto"):
        extract_processes(Settings({"LINKSPIDER_EXTRACT_PROCESSES": value}))


def test_results_pickle() -> None:
    page = crawl_page(_job(), SETUP_VALUE)
    assert pickle.loads(pickle.dumps(page)) == page
