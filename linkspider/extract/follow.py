"""Which links of a page the crawler should follow within the page's own site."""

from __future__ import annotations

from linkspider.extract.domains import registrable_domain
from linkspider.extract.page import LinkPage
from linkspider.extract.urls import crawl_url, split_host

#: Path endings that are never HTML pages: not worth a request from the site budget.
SKIPPED_EXTENSIONS = frozenset(
    {
        "7z", "7zip", "apk", "bz2", "cdr", "dmg", "ico", "iso", "tar", "tgz", "gz", "rar",
        "zip", "xz", "zst", "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp",
        "tif", "tiff", "ai", "drw", "dxf", "eps", "ps", "svg", "webp", "avif", "heic",
        "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff", "flac", "m4a", "3gp",
        "asf", "asx", "avi", "mov", "mp4", "mpg", "qt", "rm", "swf", "wmv", "m4v", "webm",
        "mkv", "xls", "xlsx", "ppt", "pptx", "pps", "doc", "docx", "odt", "ods", "odg",
        "odp", "css", "pdf", "exe", "bin", "rss", "msi", "deb", "rpm", "jar",
        "woff", "woff2", "ttf", "otf", "eot", "js", "json", "xml", "csv", "txt", "epub",
    }
)  # fmt: skip


def same_site_links(page: LinkPage) -> list[str]:
    """Unique URLs (normalised, session ids removed) on the page's registrable domain that
    may be HTML pages."""
    site = registrable_domain(split_host(page.url))
    seen: dict[str, None] = {}
    for link in page.links:
        if registrable_domain(link.host) != site:
            continue
        url = crawl_url(link.url)
        if _skipped_extension(url):
            continue
        seen.setdefault(url, None)
    return list(seen)


def _skipped_extension(url: str) -> bool:
    path = url.split("?", 1)[0]
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        return False
    return last.rsplit(".", 1)[-1].lower() in SKIPPED_EXTENSIONS
