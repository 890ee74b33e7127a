"""``linkspider archive``: bad input is refused before Spark starts, in one line, exit 2,
and leaves no run folder behind."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from linkspider.cli import main
from tests.conftest import SAMPLE_TARGETS


def good_warc(path: Path) -> Path:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            "http://a.com/", "response", payload=io.BytesIO(b"<html></html>"), http_headers=http
        )
    )
    path.write_bytes(out.getvalue())
    return path


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["archive", *args])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!doctype html><html>a page</html>", "not a WARC file (it starts with '<!doctype html>"),
        (gzip.compress(b"<html>gzipped page</html>"), "not a WARC file"),
        (b"", "empty file, not a WARC file"),
    ],
)
def test_a_file_that_is_not_a_warc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(content)
    out = tmp_path / "out"
    err = refused(capsys, "--targets", SAMPLE_TARGETS, "--warc", str(bad), "--out", str(out))
    assert message in err and str(bad) in err
    assert not out.exists()


def test_one_bad_file_among_good_ones_refuses_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing is read rather than a run presented as complete without that file."""
    good = good_warc(tmp_path / "good.warc.gz")
    bad = tmp_path / "folder" / "bad.warc"
    bad.parent.mkdir()
    bad.write_text("hello")
    err = refused(capsys, "--targets", "a.com", "--warc", str(good), str(bad.parent))
    assert "bad.warc: not a WARC file" in err


def test_missing_inputs_and_empty_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no such file or folder" in refused(
        capsys, "--targets", "a.com", "--warc", str(tmp_path / "nope.warc.gz")
    )
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.warc.gz.open").write_bytes(b"")
    err = refused(capsys, "--targets", "a.com", "--warc", str(tmp_path / "empty"))
    assert "no WARC files" in err and "still being written" in err
    assert "give WARC inputs" in refused(capsys, "--targets", "a.com")


def test_bad_targets_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = good_warc(tmp_path / "good.warc.gz")
    assert "--targets" in refused(capsys, "--targets", "*.a.com", "--warc", str(good))
    assert "NAME=VALUE" in refused(
        capsys, "--targets", "a.com", "--warc", str(good), "-s", "NOVALUE"
    )


def test_java_missing_is_one_line(tmp_path: Path) -> None:
    """Spark needs Java: without it, one line before anything starts (no traceback)."""
    good = good_warc(tmp_path / "good.warc.gz")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path / "no-java-here")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "linkspider.cli", "archive", "--targets", "a.com",
               "--warc", str(good), "--out", str(out)]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "Java not found" in result.stderr and "openjdk-17-jre-headless" in result.stderr
    assert not out.exists()
    env["JAVA_HOME"] = str(tmp_path)  # a JAVA_HOME without bin/java
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "has no bin/java" in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_archive_extra_missing_is_one_line(tmp_path: Path) -> None:
    """Without pyspark (a plain `pip install -e .`; simulated: this environment has it,
    and the test cannot uninstall it from a shared one): one line naming the extra."""
    good = good_warc(tmp_path / "good.warc.gz")
    command = [sys.executable, "-c",
               "import sys, importlib.util as u; real = u.find_spec; "
               "u.find_spec = lambda n, *a: None if n == 'pyspark' else real(n, *a); "
               "from linkspider.cli import main; sys.exit(main(sys.argv[1:]))",
               "archive", "--targets", "a.com", "--warc", str(good)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "needs pyspark: pip install 'linkspider[archive]'" in result.stderr
