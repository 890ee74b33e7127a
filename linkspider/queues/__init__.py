"""Scheduler queues (Scrapy components): where waiting requests are kept."""
