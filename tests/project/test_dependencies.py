"""Dependencies are honest: what linkspider imports is declared, what is declared is used,
and the minimum-versions constraints pin every dependency at the floor pyproject declares.

An import counts unless it sits under ``if TYPE_CHECKING:`` (never run) or in a ``try``
whose handler catches ``ImportError`` (an optional driver the code names when missing). A
module of an optional feature may import what that feature's extra declares
(:data:`EXTRA_CODE`); everything else must be a core dependency.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.paths import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONSTRAINTS = ROOT / "constraints" / "min-versions.txt"

#: Code that only runs with an extra installed, and the extras it may import from.
EXTRA_CODE = {
    "linkspider/archive/": ("archive",),
    "linkspider/testweb/cccrawl.py": ("archive",),  # builds Common Crawl-style samples (warcio)
    "linkspider/distributed/": ("distributed", "server"),
}

#: The extras whose dependencies tests/run-min-versions.sh installs at their floors.
PINNED_EXTRAS = ("archive", "distributed", "server", "test")


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _names(requirements: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in requirements}


def _guarded_by_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        caught = handler.type
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(isinstance(n, ast.Name) and n.id.endswith("ImportError") for n in names):
            return True
        if any(isinstance(n, ast.Name) and n.id == "ModuleNotFoundError" for n in names):
            return True
    return False


def _imports(node: ast.AST) -> Iterator[str]:
    """Top-level module names imported at run time under ``node``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            yield from (name for stmt in child.orelse for name in _imports_of(stmt))
            continue
        if isinstance(child, ast.Try) and _guarded_by_import_error(child):
            continue
        yield from _imports_of(child)


def _imports_of(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name.split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level == 0 and node.module:
            yield node.module.split(".")[0]
    else:
        yield from _imports(node)


def third_party_imports() -> dict[str, set[str]]:
    """Import name -> the linkspider files importing it (stdlib and linkspider left out)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "linkspider").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if name in sys.stdlib_module_names or name in ("linkspider", "__future__"):
                continue
            found.setdefault(name, set()).add(relative)
    return found


def _allowed_extras(relative: str) -> tuple[str, ...]:
    return next(
        (extras for prefix, extras in EXTRA_CODE.items() if relative.startswith(prefix)), ()
    )


def test_every_imported_package_is_declared() -> None:
    core = _names(_requirements())
    providers = packages_distributions()
    undeclared = []
    for name, files in sorted(third_party_imports().items()):
        distributions = {canonicalize_name(d) for d in providers.get(name, [name])}
        for relative in sorted(files):
            allowed = set(core)
            for extra in _allowed_extras(relative):
                allowed |= _names(_requirements(extra))
            if not distributions & allowed:
                undeclared.append(f"{relative}: {name} ({', '.join(sorted(distributions))})")
    assert not undeclared, "imported but not declared in pyproject.toml:\n" + "\n".join(undeclared)


def test_every_core_dependency_is_imported() -> None:
    providers = packages_distributions()
    imported = {
        canonicalize_name(d) for name in third_party_imports() for d in providers.get(name, [name])
    }
    unused = [
        str(r)
        for r in _requirements()
        if canonicalize_name(r.name) not in imported and (r.marker is None or r.marker.evaluate())
    ]
    assert not unused, f"declared but never imported by linkspider/: {unused}"


def _floor(requirement: Requirement) -> Version:
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert floors, f"{requirement}: no floor (>=) declared"
    return max(floors)


def _pins() -> dict[str, Version]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line)
            assert match, f"constraints/min-versions.txt: not a pin: {line!r}"
            pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def test_min_versions_pin_every_dependency_at_its_floor() -> None:
    pins = _pins()
    declared = _requirements() + [r for e in PINNED_EXTRAS for r in _requirements(e)]
    wrong = []
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        floor = _floor(requirement)
        if pins.get(name) != floor:
            wrong.append(f"{name}: floor {floor}, pinned {pins.get(name)}")
    assert not wrong, "constraints/min-versions.txt out of step with pyproject.toml:\n" + (
        "\n".join(sorted(set(wrong)))
    )
    stray = set(pins) - {canonicalize_name(r.name) for r in declared}
    assert not stray, f"pinned but not a dependency: {sorted(stray)}"
