"""Project settings: linkspider's add-on, and what only this project needs.

The crawl's components and its polite, safe defaults come from the add-on
(:mod:`linkspider.addon`), the way another Scrapy project uses linkspider too (docs/addon.md).
Every value can be overridden here or with ``-s NAME=VALUE`` on the command line: both have a
higher priority than the add-on's. Every setting, with its default: docs/settings.md.
"""

from __future__ import annotations

BOT_NAME = "linkspider"
SPIDER_MODULES = ["linkspider.spiders"]
NEWSPIDER_MODULE = "linkspider.spiders"
COMMANDS_MODULE = "linkspider.commands"

ADDONS = {"linkspider.addon.Addon": 0}
