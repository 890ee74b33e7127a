"""The driver script for ``spark-submit``: ``linkspider archive`` with the master, executors
and configuration that ``spark-submit`` was given (see docs/archives.md)::

    spark-submit --master yarn --py-files linkspider-0.1.0-py3-none-any.whl \\
        "$(python -m linkspider.archive.submit --path)" --targets T --warc URL... --out DIR

``python -m linkspider.archive.submit --path`` prints this file's path.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--path"]:
        print(__file__)
        return 0
    from linkspider.cli import main as linkspider_main

    return linkspider_main(["archive", *args])


if __name__ == "__main__":
    sys.exit(main())
