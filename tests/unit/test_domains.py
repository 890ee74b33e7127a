"""Registrable domains and target matching (Public Suffix List, bundled snapshot)."""

from __future__ import annotations

import pytest

from linkspider.config.targets import load_targets
from linkspider.core.domains import registrable_domain


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("shop.acme-boots.com", "acme-boots.com"),
        ("a.b.gearlab.co.uk", "gearlab.co.uk"),
        ("www.initech.com.au", "initech.com.au"),
        ("acme-boots.com.evil-mirror.net", "evil-mirror.net"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("someone.blogspot.com", "someone.blogspot.com"),  # private suffix
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "[::1]"),
        ("wiki.intranet.corp", "intranet.corp"),  # unknown suffix: last two labels
        ("localhost", "localhost"),
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


TARGETS = load_targets("acme-boots.com,globex.co.uk,initech.com.au,bücher.de")


@pytest.mark.parametrize(
    ("host", "matched"),
    [
        ("acme-boots.com", "acme-boots.com"),
        ("shop.acme-boots.com", "acme-boots.com"),
        ("www.globex.co.uk", "globex.co.uk"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("acme-boots.com.evil-mirror.net", None),
        ("notacme-boots.com", None),
        ("globex.co.uk.attacker.io", None),
        ("co.uk", None),
        ("initech.com", None),
    ],
)
def test_target_matching(host: str, matched: str | None) -> None:
    target = TARGETS.match(host)
    assert (target.domain if target else None) == matched


def test_subdomain_target_matches_only_below_it() -> None:
    targets = load_targets("blog.acme.com")
    assert targets.match("blog.acme.com") is not None
    assert targets.match("x.blog.acme.com") is not None
    assert targets.match("acme.com") is None
    assert targets.match("shop.acme.com") is None
