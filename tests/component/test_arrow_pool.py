"""Arrow allocates with jemalloc in linkspider's processes on Linux (pyarrow's mimalloc and
the system allocator kept freed memory between export steps: linkspider/__init__.py), and
a user's ``ARROW_DEFAULT_MEMORY_POOL`` still wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import linkspider.reports.exports, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
)


@pytest.mark.skipif(sys.platform != "linux", reason="jemalloc is the default on Linux only")
@pytest.mark.parametrize(
    ("given", "used"), [(None, "jemalloc"), ("system", "system"), ("mimalloc", "mimalloc")]
)
def test_the_arrow_pool(given: str | None, used: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if given:
        env["ARROW_DEFAULT_MEMORY_POOL"] = given
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == used
