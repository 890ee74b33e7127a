"""Reference spiders run with ``scrapy runspider`` (plain Scrapy, no project settings)."""
