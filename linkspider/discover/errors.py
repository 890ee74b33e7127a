"""Errors of ``linkspider discover``: each one is a one-line message for the user."""

from __future__ import annotations


class DiscoverError(Exception):
    """Discovery cannot go on; ``str(error)`` is one line naming what and where."""


class ReleaseError(DiscoverError):
    """A release name or folder that is not a Common Crawl web-graph release."""


class CorruptFileError(DiscoverError):
    """A graph file is truncated, not gzip, or holds lines not in the published format."""


class DownloadError(DiscoverError):
    """A file could not be downloaded (no network, HTTP error, wrong size)."""
