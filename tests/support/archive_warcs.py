"""WARC files of the sample web for the archive tests: a real crawl that records them."""

from __future__ import annotations

from pathlib import Path

from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl


def sample_web_warcs(workdir: Path, web: TestWeb | None = None) -> tuple[Path, CrawlRun]:
    """Crawl the bundled sample web with ``-s LINKSPIDER_WARC_DIR``: the WARC folder and run."""
    warcs = workdir / "warcs"
    workdir.mkdir(parents=True, exist_ok=True)
    if web is None:
        with TestWeb() as own:
            run = run_crawl(own, workdir, settings={"LINKSPIDER_WARC_DIR": str(warcs)})
    else:
        run = run_crawl(web, workdir, settings={"LINKSPIDER_WARC_DIR": str(warcs)})
    # The crawl's own exports are not what these tests read: only its recorded files.
    assert sorted(warcs.glob("*.warc.gz")), f"the crawl recorded no WARC file\n{run.log[-3000:]}"
    return warcs, run
