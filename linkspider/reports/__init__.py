"""Exports and reports built from a run's streamed JSON Lines files (no Scrapy import)."""
