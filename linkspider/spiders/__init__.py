"""Spiders: they read arguments, schedule requests and hand responses to extraction."""
