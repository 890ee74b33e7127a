"""Scrapy extensions: run bookkeeping and final exports."""
