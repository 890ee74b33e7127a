"""The crawl loads the table libraries (pandas, pyarrow, DuckDB, numpy, Jinja2) only to build
its exports: ~110 MB less resident memory for the whole crawl (issue 17;
benchmarks/results/scrapy_machinery.md). A real crawl of the sample web, with a probe
extension that records ``sys.modules`` at the first response and when the spider closes,
before the exports start."""

from __future__ import annotations

import json
from pathlib import Path

from linkspider.testweb import TestWeb
from tests.conftest import run_crawl


def test_crawl_imports_table_libraries_only_for_its_exports(
    sample_web: TestWeb, tmp_path: Path
) -> None:
    probe = tmp_path / "modules.json"
    run = run_crawl(
        sample_web, tmp_path,
        settings={
            "EXTENSIONS": json.dumps({"tests.support.module_probe.ModuleProbe": 50}),
            "MODULE_PROBE_FILE": str(probe),
        },
    )  # fmt: skip
    assert run.process.returncode == 0, run.log[-3000:]
    record = json.loads(probe.read_text("utf-8"))
    assert record == {"first_response": [], "closing": [], "stopped": []}, record
    # ... and the exports that need them were built afterwards, in the process that
    # replaced the crawl's (tests/e2e/test_exports_process.py).
    info = run.run_info()
    assert info["status"] == "finished" and info["exports_built"] is True
    assert info["exports_process"] == "new"
    assert (run.output_dir / "report.html").is_file()
    assert (run.output_dir / "backlinks.parquet").is_file()
