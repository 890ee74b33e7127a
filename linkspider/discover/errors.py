"""Errors of ``linkspider discover``: each one is a one-line message for the user."""

from __future__ import annotations

from pathlib import Path


class DiscoverError(Exception):
    """Discovery cannot go on; ``str(error)`` is one line naming what and where."""


class ReleaseError(DiscoverError):
    """A release name or folder that is not a Common Crawl web-graph release."""


class CorruptFileError(DiscoverError):
    """A graph file is truncated, not gzip, or holds lines not in the published format.

    ``path`` is the file when the file itself is broken (it may be discarded from a
    cache and downloaded again)."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class DownloadError(DiscoverError):
    """A file could not be downloaded (no network, HTTP error, wrong size)."""
