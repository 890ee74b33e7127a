"""Command line: ``python -m linkspider.testweb serve --sites DIR --state FILE``.

Serves the sites until SIGTERM/SIGINT, on free ports written to the state file
(see ``linkspider.testweb.resolver.WebState``). Point a crawl at it with
``-s TWISTED_DNS_RESOLVER=linkspider.testweb.resolver.TestWebResolver
-s LINKSPIDER_TESTWEB=FILE``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from linkspider.testweb.server import serve
from linkspider.testweb.sites import DEFAULT_SITES_DIR, SiteConfigError, load_web


def build_parser() -> argparse.ArgumentParser:
    """The ``serve`` command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m linkspider.testweb", description="Local multi-site test web."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the sites until SIGTERM/SIGINT")
    run.add_argument(
        "--sites",
        type=Path,
        action="append",
        metavar="DIR",
        help=f"sites directory, one folder per host; repeatable (default: {DEFAULT_SITES_DIR})",
    )
    run.add_argument("--state", type=Path, required=True, metavar="FILE", help="state JSON")
    run.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    run.add_argument("--access-log", action="store_true", help="log each request to stderr")
    run.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the parent process dies"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load the sites and serve them."""
    args = build_parser().parse_args(argv)
    try:
        web = load_web(args.sites)
    except SiteConfigError as exc:
        print(f"linkspider.testweb: {exc}", file=sys.stderr)
        return 2
    serve(
        web,
        args.state.resolve(),
        args.host,
        access_log=args.access_log,
        exit_with_parent=args.exit_with_parent,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
