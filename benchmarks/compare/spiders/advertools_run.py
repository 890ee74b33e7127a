"""Contender 3: ``advertools.crawl(seeds, out, follow_links=True)`` as a user calls it.

``python advertools_run.py SEEDS_FILE OUTPUT_JSONL SETTINGS_JSON``: the settings are passed
through ``custom_settings`` (advertools turns them into ``scrapy runspider -s`` options).
"""

from __future__ import annotations

import json
import sys

import advertools as adv  # type: ignore[import-untyped]


def main() -> None:
    seeds_file, output, settings = sys.argv[1:4]
    with open(seeds_file, encoding="utf-8") as lines:
        seeds = [line.strip() for line in lines if line.strip()]
    adv.crawl(seeds, output, follow_links=True, custom_settings=json.loads(settings))


if __name__ == "__main__":
    main()
