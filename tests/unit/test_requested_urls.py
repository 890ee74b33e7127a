"""The spider's check for URLs it already asked for (no Request built for a repeat)."""

from __future__ import annotations

import pytest

from linkspider.extract import follow
from linkspider.extract.follow import RequestedUrls


@pytest.fixture(params=["hash", "blake2"])
def key(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both keys: Python's 64-bit string hash, and the BLAKE2 digest where it is narrower."""
    if request.param == "blake2":
        monkeypatch.setattr(follow, "_url_key", follow._blake2_key)


@pytest.mark.usefixtures("key")
def test_a_url_is_asked_for_once_per_depth_or_shallower() -> None:
    requested = RequestedUrls()
    assert requested.first_time("https://a.example/x", 3)
    assert not requested.first_time("https://a.example/x", 3)
    assert not requested.first_time("https://a.example/x", 5)  # deeper: nothing new
    # Found again closer to the seed: asked again, so a depth limit decides as without it.
    assert requested.first_time("https://a.example/x", 1)
    assert not requested.first_time("https://a.example/x", 2)
    assert len(requested) == 1


@pytest.mark.usefixtures("key")
def test_urls_differing_in_any_character_are_different() -> None:
    requested = RequestedUrls()
    urls = ["https://a.example/x", "https://a.example/x/", "https://a.example/X",
            "https://a.example/x?a=1", "https://a.example/\ud800"]  # fmt: skip
    assert all(requested.first_time(url, 1) for url in urls)
    assert len(requested) == len(urls)


def test_a_copy_of_a_url_is_the_same_url() -> None:
    requested = RequestedUrls()
    url = "https://a.example/page?q=1"
    assert requested.first_time(url, 1)
    assert not requested.first_time("".join(list(url)), 1)  # another str object, same text
