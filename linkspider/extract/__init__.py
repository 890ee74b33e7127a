"""Pure extraction code: HTML bytes + URL in, data out. No Scrapy imports here."""
