"""Discussion threads end to end: a real crawl of ``tests/webs/thread``.

``talk-forum.org`` is shaped like a Discourse forum: a script app whose page is empty
without JavaScript, and the whole thread for crawlers in a ``noscript`` (the crawler view),
marked up with schema.org ``DiscussionForumPosting`` and ``Comment`` items. A thread's
replies are its content: a link in a reply's text is ``content``, the poster's name link
stays ``comments``. ``camp-blog.net`` is a blog post with a comment section in the same
schema.org ``Comment`` markup: there the comments stay ``comments``.
"""

from __future__ import annotations

import pytest

from linkspider.testweb import TestWeb
from tests.conftest import CrawlRun, run_crawl
from tests.support.paths import WEBS

SITES = WEBS / "thread"
THREAD = "https://talk-forum.org/t/boots-that-last.html"
BLOG = "https://camp-blog.net/"

# (source_url, target_url) -> placement
EXPECTED = {
    (THREAD, "https://acme-boots.com/care"): "content",  # the opening post
    (THREAD, "https://globex.co.uk/resole"): "content",  # a reply's text
    (THREAD, "https://acme-boots.com/boots/alpine"): "content",
    (THREAD, "https://globex.co.uk/u/jonas"): "comments",  # a poster's name
    (THREAD, "https://acme-boots.com/sponsor"): "footer",
    (BLOG, "https://acme-boots.com/boots/alpine"): "comments",  # a blog comment
    (BLOG, "https://globex.co.uk/u/lea"): "comments",
}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> CrawlRun:
    with TestWeb([SITES]) as web:
        run = run_crawl(
            web, tmp_path_factory.mktemp("threads"), str(SITES / "targets.toml"),
            "https://talk-forum.org/,https://camp-blog.net/", "-a", "render=off",
        )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    return run


def test_thread_replies_are_content_blog_comments_are_not(crawl: CrawlRun) -> None:
    got = {(r["source_url"], r["target_url"]): r for r in crawl.rows()}
    assert set(got) == set(EXPECTED)
    placements = {key: row["placement"] for key, row in got.items()}
    assert placements == EXPECTED
    for row in got.values():
        assert row["in_content"] == ("true" if row["placement"] == "content" else "false")
    # The crawler view is read as the page: its text gives the context.
    reply = got[(THREAD, "https://globex.co.uk/resole")]
    assert reply["context_before"].endswith("I sent mine to the workshop listed on")
