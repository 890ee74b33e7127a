"""The layer rule of docs/how-it-works.md, checked on the code.

Every module under ``linkspider/`` belongs to a layer (:data:`LAYERS`, by its longest
listed prefix). An import, at the top of a module or inside a function, goes to the same
layer or a lower one, never up; within a layer, the packages do not import each other in
a cycle. The layers below the Scrapy components import no Scrapy, no Twisted (imports under
``if TYPE_CHECKING:`` excepted) and none of the low layer's Scrapy-facing modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGE = ROOT / "linkspider"

#: The layers, lowest first: a module may import its own layer and the ones before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("low", ("linkspider", "linkspider.core", "linkspider.items", "linkspider.output",
             "linkspider.settings_reference")),
    ("pure", ("linkspider.extract", "linkspider.policy", "linkspider.config",
              "linkspider.discover", "linkspider.warc")),
    # The table engines the history reads and the report builders write with.
    ("tables", ("linkspider.engines",)),
    ("history", ("linkspider.monitor",)),
    ("reports", ("linkspider.reports",)),
    ("components", ("linkspider.render", "linkspider.middlewares", "linkspider.pipelines",
                    "linkspider.extensions", "linkspider.distributed", "linkspider.spiders",
                    "linkspider.queues", "linkspider.logformatter", "linkspider.statscollector",
                    "linkspider.offload",
                    "linkspider.scrapyd_jobs", "linkspider.archive", "linkspider.settings",
                    "linkspider.addon")),
    # Commands: what a command line runs (a package's cli.py is matched by CLI_SUFFIX).
    ("commands", ("linkspider.cli", "linkspider.crawl_cli", "linkspider.commands",
                  "linkspider.docs_gen", "linkspider.testweb", "linkspider.enqueue",
                  "linkspider.discover_cli", "linkspider.archive.submit")),
)  # fmt: skip
CLI_SUFFIX = ".cli"
#: Layers that import no framework (Scrapy, Twisted, the browser) at run time.
FRAMEWORK_FREE = ("low", "pure", "tables", "history", "reports")
FRAMEWORKS = {"scrapy", "twisted", "scrapy_redis", "scrapy_playwright", "playwright", "zope"}
#: Modules of the low layer that are Scrapy-facing: the framework-free layers avoid them.
FRAMEWORK_MODULES = {"linkspider.core.failures", "linkspider.core.resolver"}
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    importer: str
    name: str  # the module imported (a package's submodule when ``from package import x``)
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(package: Path = PACKAGE, root: Path = ROOT) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(package.rglob("*.py"))}


def layer_of(module: str) -> str:
    if module.endswith(CLI_SUFFIX) or module == "linkspider.__main__":
        return "commands"
    best, best_len = "", -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = name, len(prefix)
    if not best:
        raise LookupError(f"{module} is in no layer: add it to LAYERS (and to the docs)")
    return best


def _typing_blocks(tree: ast.Module) -> set[int]:
    """Ids of the import nodes under ``if TYPE_CHECKING:``."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return ids


def imports_of(module: str, path: Path, known: Iterable[str]) -> list[Import]:
    """Every import in ``path`` (functions included), relative ones resolved."""
    modules = set(known)
    tree = ast.parse(path.read_text("utf-8"))
    typing = _typing_blocks(tree)
    found: list[Import] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                if path.name != "__init__.py":
                    parts = parts[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                names.append(sub if sub in modules else base)
        line = getattr(node, "lineno", 0)
        found += [Import(module, name, line, id(node) in typing) for name in names]
    return found


def violations(
    modules: Mapping[str, Path], layer: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """(imports that go up or into a framework they may not use, same-layer package cycles)."""
    layers = dict(layer or {})

    def where(name: str) -> str:
        return layers.get(name) or layer_of(name)

    bad: list[str] = []
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        own = where(module)
        for imp in imports_of(module, path, modules):
            top = imp.name.split(".")[0]
            at = f"{module}:{imp.line} imports {imp.name}"
            framework = top in FRAMEWORKS or imp.name in FRAMEWORK_MODULES
            exempt = imp.typing_only or module in FRAMEWORK_MODULES
            if framework and own in FRAMEWORK_FREE and not exempt:
                bad.append(f"{at} (the {own} layer imports no framework)")
            if top != "linkspider" or imp.name == "linkspider":
                continue
            theirs = where(imp.name)
            if RANK[theirs] > RANK[own]:
                bad.append(f"{at} (up: {own} -> {theirs})")
            elif theirs == own:
                mine, other = _package(module), _package(imp.name)
                if mine != other:
                    edges.setdefault(mine, set()).add(other)
    return list(dict.fromkeys(bad)), _cycles(edges)


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(edges: Mapping[str, set[str]]) -> list[str]:
    """Package cycles, each as ``a -> b -> a``."""
    found: list[str] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return found


def test_every_module_has_a_layer() -> None:
    for module in all_modules():
        assert layer_of(module) in RANK


def test_imports_only_go_down() -> None:
    bad, cycles = violations(all_modules())
    assert not bad, "\n".join(bad)
    assert not cycles, "package cycles within a layer: " + "; ".join(cycles)


def two_way_packages(modules: Mapping[str, Path]) -> list[str]:
    """Pairs of packages that import each other, through any of their modules (a package's
    ``cli.py`` included): one package's modules may use another's, never both ways."""
    edges: set[tuple[str, str]] = set()
    for module, path in modules.items():
        for imp in imports_of(module, path, modules):
            mine, other = _package(module), _package(imp.name)
            if imp.name.startswith("linkspider.") and mine != other and mine != "linkspider":
                edges.add((mine, other))
    return sorted(f"{a} <-> {b}" for a, b in edges if a < b and (b, a) in edges)


def test_no_two_packages_import_each_other() -> None:
    pairs = two_way_packages(all_modules())
    assert not pairs, "packages importing each other: " + "; ".join(pairs)


def test_the_package_check_sees_a_tie_through_a_cli(tmp_path: Path) -> None:
    modules = _fake_package(
        tmp_path,
        {
            "linkspider/__init__.py": "",
            "linkspider/config/__init__.py": "from linkspider.discover import x\n",
            "linkspider/discover/__init__.py": "",
            "linkspider/discover/x.py": "",
            "linkspider/discover/cli.py": "from linkspider.config import y\n",
        },
    )
    assert two_way_packages(modules) == ["linkspider.config <-> linkspider.discover"]


#: Packages on every request's path, and what they may not import even though it is lower:
#: the table engines and report builders (pyarrow, DuckDB, pandas in every crawl process).
REQUEST_PATH = ("linkspider.middlewares", "linkspider.pipelines", "linkspider.render")


def test_the_request_path_imports_no_reports() -> None:
    modules = all_modules()
    bad = [
        f"{imp.importer}:{imp.line} imports {imp.name}"
        for module, path in modules.items()
        if module.startswith(REQUEST_PATH)
        for imp in imports_of(module, path, modules)
        if imp.name.startswith("linkspider.reports")
    ]
    assert not bad, "\n".join(bad)


def _fake_package(tmp_path: Path, files: Mapping[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return all_modules(tmp_path / "linkspider", tmp_path)


def test_the_check_sees_violations(tmp_path: Path) -> None:
    modules = _fake_package(
        tmp_path,
        {
            "linkspider/__init__.py": "",
            "linkspider/extract/__init__.py": "",
            # a pure module importing a component and Scrapy, inside a function
            "linkspider/extract/bad.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from scrapy import Spider\n"
                "def f():\n    from scrapy import Request\n"
                "    from ..middlewares import ssrf\n"
            ),
            "linkspider/middlewares/__init__.py": "",
            "linkspider/middlewares/ssrf.py": "from linkspider.extensions import x\n",
            "linkspider/extensions/__init__.py": "",
            "linkspider/extensions/x.py": "import linkspider.middlewares.ssrf\n",
        },
    )
    bad, cycles = violations(modules)
    assert bad == [
        "linkspider.extract.bad:5 imports scrapy (the pure layer imports no framework)",
        "linkspider.extract.bad:6 imports linkspider.middlewares.ssrf (up: pure -> components)",
    ]
    assert cycles == ["linkspider.extensions -> linkspider.middlewares -> linkspider.extensions"]


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("linkspider.core.urls", "low"),
        ("linkspider.engines.tables", "tables"),
        ("linkspider.reports.placements", "reports"),
        ("linkspider.reports.exports", "reports"),
        ("linkspider.monitor.cli", "commands"),
        ("linkspider.enqueue", "commands"),
        ("linkspider.discover_cli", "commands"),
        ("linkspider.archive.cli", "commands"),
        ("linkspider.distributed.frontier", "components"),
    ],
)
def test_layer_of(module: str, layer: str) -> None:
    assert layer_of(module) == layer


def test_the_docs_list_the_layers() -> None:
    text = (ROOT / "docs" / "how-it-works.md").read_text("utf-8")
    section = text.split("## The layer rule", 1)[1].split("\n## ", 1)[0]
    for _, prefixes in LAYERS:
        for prefix in prefixes:
            if prefix != "linkspider":
                shown = prefix.removeprefix("linkspider.").replace(".", "/")
                assert f"`{shown}" in section, f"{shown} is not in the layer rule's docs"
