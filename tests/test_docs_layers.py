"""The layer rule of docs/how-it-works.md, checked on the code: the pure layers import no
Scrapy, no Twisted and nothing from the Scrapy-component or command-line layers (imports
inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "linkspider"

#: The low and pure layers, as docs/how-it-works.md lists them.
PURE = ("extract", "config", "policy", "reports", "monitor")
PURE_MODULES = ("items.py", "output.py", "settings_reference.py", "docs_gen.py")
#: What the pure layers may not import.
FRAMEWORKS = {"scrapy", "twisted", "scrapy_redis", "scrapy_playwright", "playwright"}
UPPER = {
    "spiders", "middlewares", "pipelines", "extensions", "render", "distributed",
    "commands", "cli", "crawl_cli", "failures", "testweb",
}  # fmt: skip


def pure_files() -> list[Path]:
    files = [path for name in PURE for path in sorted((PACKAGE / name).rglob("*.py"))]
    files += [PACKAGE / name for name in PURE_MODULES]
    # A package's cli.py is the command-line layer (heavy imports inside its handler).
    return [path for path in files if path.name != "cli.py"]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "linkspider":  # from linkspider import settings
                names.update(f"linkspider.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    parts = name.split(".")
    if parts[0] in FRAMEWORKS:
        return True
    return parts[0] == "linkspider" and len(parts) > 1 and parts[1] in UPPER


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_module_imports_only_down(path: Path) -> None:
    bad = sorted(name for name in imported(path) if forbidden(name))
    assert not bad, f"{path.relative_to(ROOT)} (pure layer) imports {bad}"


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "def f():\n    from scrapy import Request\n    import linkspider.middlewares.ssrf\n"
    )
    assert {name for name in imported(module) if forbidden(name)} == {
        "scrapy",
        "linkspider.middlewares.ssrf",
    }
