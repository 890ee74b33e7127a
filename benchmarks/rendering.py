"""Pages per second with render=auto against render=off, on a mostly static local web.

    python benchmarks/rendering.py [--sites 20] [--pages 100] [--spa 20] [--repeat 3]

Generates a web into a temporary folder and serves it with the test web: ``--sites`` sites
of ``--pages`` server-rendered pages each (navigation, an article, links to a target, and
the scripts most real pages carry: jQuery, an analytics snippet, a ``<noscript>`` pixel),
plus ``--spa`` client-rendered pages (an empty app root and a bundle that writes the
links) on one more site. Two webs are measured:

* ``static``: the server-rendered sites only. With ``auto`` nothing is rendered; the cost
  is the heuristic on every page and starting the Playwright driver.
* ``mostly static``: the same plus the client-rendered pages, which ``auto`` renders in
  Chromium (the browser starts on the first one).

Each crawl runs ``scrapy crawl backlinks`` in a subprocess with the demo's settings;
pages/s is ``pages_crawled / elapsed_seconds`` from ``run.json`` (start-up included). The
modes alternate, ``--repeat`` times; the medians are compared. The result table is printed
in Markdown (``benchmarks/results/rendering.md``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from linkspider.cli import DEMO_SETTINGS, crawl_command, crawl_env  # noqa: E402
from linkspider.testweb import TestWeb  # noqa: E402

HEAD = """<meta charset="utf-8"><title>{title}</title>
<script src="/js/jquery.min.js"></script>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{page: "{title}"}});</script>
"""
ARTICLE = (
    "<p>We walked the northern route again this spring, from the old mill to the ridge, "
    "and back along the river when the weather turned. The boots held up, the tent did "
    "not, and the new hut at the pass was a welcome surprise.</p>"
)
SPA = """<!doctype html><html><head><meta charset="utf-8"><title>App {i}</title>
<script defer src="/static/js/main.{i}.js"></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript>
<div id="root"></div></body></html>
"""
BUNDLE = (
    "document.getElementById('root').innerHTML = '<main><h1>App {i}</h1><p>We like "
    '<a href="https://acme-boots.com/app-{i}">Acme boots</a>.</p></main>\';'
)


def static_page(site: int, page: int, pages: int) -> str:
    nav = " ".join(
        f'<a href="/p{(page + k) % pages}.html">Page {(page + k) % pages}</a>' for k in range(1, 9)
    )
    links = (
        f'<p>Read the <a href="https://acme-boots.com/review-{site}-{page}">Acme boots review</a> '
        f'and <a href="https://example-news.org/story-{page}">this story</a>.</p>'
    )
    body = f"<header><nav>{nav}</nav></header><main><article>{ARTICLE * 4}{links}</article></main>"
    pixel = '<noscript><img src="https://pixel.example/t.gif" alt=""></noscript>'
    head = HEAD.format(title=f"Site {site} page {page}")
    return f"<!doctype html><html><head>{head}</head><body>{body}{pixel}</body></html>\n"


def build_web(folder: Path, sites: int, pages: int, spa: int) -> tuple[list[str], list[str]]:
    """Write the sites; (static hosts, all hosts)."""
    static_hosts = []
    for s in range(sites):
        host = f"static-{s}.example.com"
        static_hosts.append(host)
        site = folder / host
        (site / "js").mkdir(parents=True)
        for p in range(pages):
            name = "index.html" if p == 0 else f"p{p}.html"
            (site / name).write_text(static_page(s, p, pages), encoding="utf-8")
        (site / "_site.toml").write_text(
            '[[route]]\npath = "/js/jquery.min.js"\ncontent_type = "application/javascript"\n'
            'body = "window.jQuery = function () {};"\n',
            encoding="utf-8",
        )
    app = folder / "apps.example.com"
    app.mkdir()
    routes = []
    index_links = []
    for i in range(spa):
        (app / f"app{i}.html").write_text(SPA.format(i=i), encoding="utf-8")
        routes.append(
            f'[[route]]\npath = "/static/js/main.{i}.js"\ncontent_type = "application/javascript"\n'
            f"body = {json.dumps(BUNDLE.format(i=i))}\n"
        )
        index_links.append(f'<a href="/app{i}.html">App {i}</a>')
    (app / "index.html").write_text(
        f"<!doctype html><html><head><title>Apps</title></head><body><main>{ARTICLE}"
        f"<p>{' '.join(index_links)}</p></main></body></html>\n",
        encoding="utf-8",
    )
    (app / "_site.toml").write_text("\n".join(routes), encoding="utf-8")
    return static_hosts, [*static_hosts, "apps.example.com"]


def crawl(web: TestWeb, workdir: Path, hosts: list[str], mode: str, run: int) -> dict[str, float]:
    out = workdir / f"{mode}-{len(hosts)}-{run}"
    settings = {**DEMO_SETTINGS, **web.scrapy_settings(), "LOG_LEVEL": "WARNING",
                "LINKSPIDER_MAX_PAGES_PER_SITE": "1000"}  # fmt: skip
    command = crawl_command(
        "acme-boots.com", ",".join(f"http://{h}/" for h in hosts), settings,
        ["-a", f"output_dir={out}", "-a", f"render={mode}", "-a", "depth=50"],
    )  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, env=crawl_env(), capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"crawl failed:\n{result.stderr[-3000:]}")
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    return {
        "pages": info["pages_crawled"],
        "elapsed": info["elapsed_seconds"],
        "pages_per_second": info["pages_crawled"] / info["elapsed_seconds"],
        "rendered": info["rendered_pages"],
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--spa", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="render-bench-") as tmp:
        folder = Path(tmp) / "sites"
        static_hosts, all_hosts = build_web(folder, args.sites, args.pages, args.spa)
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        with TestWeb([folder]) as web:
            for run in range(args.repeat):
                for web_name, hosts in (("static", static_hosts), ("mostly static", all_hosts)):
                    for mode in ("off", "auto") if run % 2 == 0 else ("auto", "off"):
                        results.setdefault((web_name, mode), []).append(
                            crawl(web, Path(tmp), hosts, mode, run)
                        )
                        print(web_name, mode, results[(web_name, mode)][-1], file=sys.stderr)
    print(
        f"`python benchmarks/rendering.py --sites {args.sites} --pages {args.pages} "
        f"--spa {args.spa} --repeat {args.repeat}` on {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}.\n"
    )
    print(
        "| web | pages | rendered (auto) | off: pages/s | auto: pages/s | auto / off | runs (pages/s, off; auto) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for web_name in ("static", "mostly static"):
        off, auto = results[(web_name, "off")], results[(web_name, "auto")]
        off_pps = statistics.median(r["pages_per_second"] for r in off)
        auto_pps = statistics.median(r["pages_per_second"] for r in auto)
        runs = (
            ", ".join(f"{r['pages_per_second']:.1f}" for r in off)
            + "; "
            + ", ".join(f"{r['pages_per_second']:.1f}" for r in auto)
        )
        print(
            f"| {web_name} | {int(off[0]['pages'])} | {int(auto[0]['rendered'])} | "
            f"{off_pps:.1f} | {auto_pps:.1f} | {auto_pps / off_pps:.2f} | {runs} |"
        )


if __name__ == "__main__":
    main()
