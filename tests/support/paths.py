"""Where the tests' files are: every test names these instead of walking from its own file."""

from __future__ import annotations

from pathlib import Path

#: The clone's root folder.
ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
#: The fixture webs the test web serves (one folder per host), by theme.
WEBS = TESTS / "webs"
#: Saved pages with their expected extraction (page objects' data tests).
FIXTURES = TESTS / "fixtures"
#: Small data files, each with its generator (see tests/data/README.md).
DATA = TESTS / "data"
#: The shared real-page corpora (read-only, next to the clone; tests skip without).
CORPORA = ROOT.parent / "shared" / "corpora"
