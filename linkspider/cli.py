"""``linkspider`` console script: the offline demo and export helpers.

* ``linkspider demo``: serve the bundled sample web on loopback and crawl it with
  ``scrapy crawl backlinks`` (no internet needed); exports land in ``output/``.
* ``linkspider export DIR``: rebuild a run folder's exports from its ``*.jsonl`` files
  (after a killed crawl, or after editing them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent / "testweb" / "sample"

#: The sample web is ours and local: no need to wait between requests.
DEMO_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "5",
    "RETRY_TIMES": "0",
}


def crawl_command(
    targets: str, seeds: str, settings: dict[str, str], extra: Sequence[str] = ()
) -> list[str]:
    """The ``scrapy crawl backlinks`` command line, run with this Python."""
    command = [sys.executable, "-m", "scrapy", "crawl", "backlinks"]
    command += ["-a", f"targets={targets}", "-a", f"seeds={seeds}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command + list(extra)


def crawl_env() -> dict[str, str]:
    """Environment for a crawl subprocess: the project settings wherever it runs from."""
    env = dict(os.environ)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "linkspider.settings")
    return env


def demo(args: argparse.Namespace) -> int:
    from linkspider.testweb import TestWeb

    extra = ["-a", f"output_dir={args.output_dir}"] if args.output_dir else []
    with TestWeb() as web:
        ports = f"{web.http_port}/{web.https_port}"
        print(f"sample web: {len(web.hosts)} sites on 127.0.0.1 (ports {ports})")
        command = crawl_command(
            str(SAMPLE_DIR / "targets.toml"),
            str(SAMPLE_DIR / "seeds.txt"),
            {**DEMO_SETTINGS, **web.scrapy_settings()},
            extra + list(args.scrapy_args),
        )
        result = subprocess.run(command, env=crawl_env(), check=False)
    if result.returncode == 0:
        where = args.output_dir or "output/latest"
        print(f"\nDone. Open {where}/backlinks.csv, referring_domains.csv, anchors.csv, run.json")
    return result.returncode


def export(args: argparse.Namespace) -> int:
    from linkspider.reports.exports import build_exports
    from linkspider.reports.sitewide import SitewideRule

    folder = Path(args.folder)
    if not (folder / "backlinks.jsonl").exists():
        print(f"error: {folder} has no backlinks.jsonl", file=sys.stderr)
        return 2
    summary = build_exports(folder, SitewideRule(args.sitewide_min_pages, args.sitewide_min_share))
    print(
        f"{folder}: {summary.backlinks} backlinks, {summary.pages} pages, "
        f"{summary.errors} errors, {summary.referring_domains} referring domains"
        + (f", {summary.bad_lines} unreadable line(s) skipped" if summary.bad_lines else "")
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="linkspider", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="crawl the bundled offline sample web")
    p_demo.add_argument("--output-dir", help="export folder (default: a new folder in output/)")
    p_demo.add_argument("scrapy_args", nargs="*", help="extra scrapy arguments after --")
    p_demo.set_defaults(func=demo)
    p_export = sub.add_parser("export", help="rebuild exports of a run folder from its JSONL")
    p_export.add_argument("folder")
    p_export.add_argument("--sitewide-min-pages", type=int, default=3, metavar="N")
    p_export.add_argument("--sitewide-min-share", type=float, default=0.5, metavar="X")
    p_export.set_defaults(func=export)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
