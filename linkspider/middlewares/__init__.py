"""Downloader and spider middlewares: crawl policy (budgets, scope, safety)."""
