"""Crawl configuration: spider arguments, target and seed lists (pure, no Scrapy)."""
