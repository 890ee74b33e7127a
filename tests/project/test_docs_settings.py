"""The settings reference (docs/settings.md) is generated from the code and says what the code
does: every LINKSPIDER_* name used in linkspider/ is in the registry with the default the
code falls back to, every Scrapy setting the project changes is explained, and the committed
page is what the generator writes today."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from linkspider.addon import OWN_DEFAULTS
from linkspider.docs_gen import main as docs_gen_main
from linkspider.docs_gen import project_scrapy_settings, settings_page
from linkspider.settings_reference import SCRAPY_SETTINGS_WHY, SECTIONS, SETTINGS, by_name
from tests.support.paths import ROOT

PACKAGE = ROOT / "linkspider"
DOCS = ROOT / "docs"
NAME = re.compile(r"\bLINKSPIDER_[A-Z0-9_]*[A-Z0-9]\b")  # LINKSPIDER_REPORT_* is a prefix
INTERNAL = "Set by linkspider during a run"
GETTERS = {"get", "getint", "getfloat", "getbool", "getlist", "getdict", "getpriority"}


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def names_in_code() -> dict[str, list[str]]:
    """Every LINKSPIDER_* name written in linkspider/, code, docstrings and comments alike
    (a name a message or a docstring tells users to set is a setting too)."""
    found: dict[str, list[str]] = {}
    for path in sources():
        if path.name == "settings_reference.py":
            continue
        for name in NAME.findall(path.read_text("utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def normalise(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def fallbacks_in_code() -> list[tuple[str, str, object]]:
    """(setting, where, fallback) for each ``settings.getX("LINKSPIDER_X", fallback)`` and
    ``settings.get("LINKSPIDER_X") or FALLBACK`` in linkspider/; names are resolved in
    their module."""
    found: list[tuple[str, str, object]] = []

    def resolve(node: ast.expr, path: Path) -> object:
        try:
            return ast.literal_eval(node)
        except ValueError:
            pass
        if isinstance(node, ast.Name):
            module = importlib.import_module(module_name(path))
            return getattr(module, node.id)
        if isinstance(node, ast.BinOp):  # 4 * 1024 * 1024
            return eval(compile(ast.Expression(node), str(path), "eval"), {})  # literals only
        raise AssertionError(f"{path}: cannot read the fallback {ast.unparse(node)}")

    def setting_of(call: ast.expr) -> str | None:
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in GETTERS
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and call.args[0].value.startswith("LINKSPIDER_")
        ):
            return call.args[0].value
        return None

    for path in sources():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            name = setting_of(node)  # type: ignore[arg-type]
            if (
                name
                and isinstance(node, ast.Call)
                and len(node.args) > 1
                and node.func.attr != "getpriority"  # type: ignore[attr-defined]
            ):
                found.append((name, where, resolve(node.args[1], path)))
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
                name = setting_of(node.values[0])
                call = node.values[0]
                if (
                    name
                    and isinstance(call, ast.Call)
                    and len(call.args) == 1
                    and call.func.attr != "getpriority"  # type: ignore[attr-defined]
                ):
                    found.append((name, where, resolve(node.values[1], path)))
    return found


def test_registry_names_are_unique_and_sectioned() -> None:
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names)), "a setting is listed twice"
    for setting in SETTINGS:
        assert setting.section in SECTIONS, setting
        assert setting.description.strip(), setting.name
        assert NAME.fullmatch(setting.name), setting.name
        if setting.page:
            assert (DOCS / setting.page).is_file(), f"{setting.name}: no docs/{setting.page}"


def test_every_setting_named_in_the_code_is_in_the_registry() -> None:
    registry = by_name()
    missing = {name: where for name, where in names_in_code().items() if name not in registry}
    assert not missing, (
        "LINKSPIDER_* names used in linkspider/ but not described in "
        f"linkspider/settings_reference.py (add them, then python -m linkspider.docs_gen): {missing}"
    )


def test_every_registry_entry_is_used_by_the_code() -> None:
    used = names_in_code()
    stale = [setting.name for setting in SETTINGS if setting.name not in used]
    assert not stale, f"described in settings_reference.py but used nowhere: {stale}"


def test_defaults_are_the_project_settings_values() -> None:
    """The add-on sets the registry's defaults (linkspider/settings.py sets none itself)."""
    registry = by_name()
    assert len(OWN_DEFAULTS) > 40
    for name, value in OWN_DEFAULTS.items():
        assert normalise(registry[name].default) == normalise(value), name
    assert not [name for name in project_scrapy_settings() if name.startswith("LINKSPIDER_")]


def test_defaults_are_the_fallbacks_the_code_reads_with() -> None:
    registry = by_name()
    checked = fallbacks_in_code()
    # The scan sees the getters (guards against a silent no-op). Fewer over time: options
    # objects read through linkspider.core.setting_values, whose defaults are the registry's.
    assert len(checked) > 20
    wrong = [
        (name, where, fallback, registry[name].default)
        for name, where, fallback in checked
        if name in registry
        and registry[name].section != INTERNAL  # their fallbacks only stand in for "missing"
        and normalise(fallback) != normalise(registry[name].default)
    ]
    assert not wrong, f"(setting, where, code's fallback, registry's default): {wrong}"


def test_every_scrapy_setting_the_project_changes_is_explained() -> None:
    names = list(project_scrapy_settings())
    assert "ROBOTSTXT_OBEY" in names and "DOWNLOAD_DELAY" in names
    assert sorted(names) == sorted(SCRAPY_SETTINGS_WHY), (
        "linkspider/settings.py and SCRAPY_SETTINGS_WHY in settings_reference.py differ"
    )


def test_committed_settings_page_is_current() -> None:
    assert (DOCS / "settings.md").read_text("utf-8") == settings_page(), (
        "docs/settings.md is not current: run python -m linkspider.docs_gen"
    )


def test_generator_check_mode_reports_a_stale_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "settings.md"
    assert docs_gen_main(["--output", str(page)]) == 0
    assert docs_gen_main(["--output", str(page), "--check"]) == 0
    page.write_text(page.read_text("utf-8").replace("LINKSPIDER_DEPTH", "LINKSPIDER_DEPT"))
    assert docs_gen_main(["--output", str(page), "--check"]) == 1
    assert "is not current" in capsys.readouterr().err


def test_page_lists_every_setting_with_its_default() -> None:
    page = settings_page()
    for setting in SETTINGS:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{setting.name}` |"))
        if setting.default not in (None, "", [], {}):
            assert str(normalise(setting.default)).split(",")[0].strip("[]'\"") in row, row


def test_docs_pages_name_only_real_settings() -> None:
    """A setting renamed or removed in the code is not left in a docs page's text."""
    registry = by_name()
    unknown = {
        (path.name, name)
        for path in sorted(DOCS.glob("*.md"))
        for name in NAME.findall(path.read_text("utf-8"))
        if name not in registry
    }
    assert not unknown, f"docs name settings the code does not have: {sorted(unknown)}"


def table_defaults() -> list[tuple[str, str, str]]:
    """(page, setting, default cell) of every settings-table row in the hand-written pages."""
    rows = []
    for path in sorted(DOCS.glob("*.md")):
        if path.name == "settings.md":
            continue
        for match in re.finditer(
            r"^\| `(LINKSPIDER_[A-Z0-9_]+)` \| ([^|]*) \|", path.read_text("utf-8"), re.M
        ):
            rows.append((path.name, match.group(1), match.group(2).strip()))
    return rows


def test_settings_tables_in_pages_show_the_registry_defaults() -> None:
    """A default changed in the code cannot stay wrong in a page's own settings table."""
    registry = by_name()
    rows = table_defaults()
    assert len(rows) > 30
    wrong = []
    for page, name, cell in rows:
        default = registry[name].default
        if isinstance(default, bool):
            ok = str(default).lower() in cell.lower()
        elif isinstance(default, int | float):
            number = re.search(r"\d[\d_,]*(?:\.\d+)?", cell)
            ok = (
                bool(number) and float(number.group(0).replace(",", "").replace("_", "")) == default
            )  # type: ignore[union-attr]
        elif isinstance(default, str) and default:
            ok = default in cell
        else:
            continue  # unset, empty and list defaults are described in words
        if not ok:
            wrong.append((page, name, cell, default))
    assert not wrong, f"(page, setting, table cell, registry default): {wrong}"


def test_scrapy_settings_tables_show_the_project_values() -> None:
    """Hand-written tables of Scrapy settings (crawling-responsibly.md...) show the values of
    linkspider/settings.py and the add-on: booleans, numbers (KiB/MiB read as such) and plain
    text."""
    project = project_scrapy_settings()
    units = {"KiB": 1024, "MiB": 1024 * 1024}
    checked = 0
    for path in sorted(DOCS.glob("*.md")):
        if path.name == "settings.md":
            continue
        text = path.read_text("utf-8")
        for name, cell in re.findall(r"^\| `([A-Z][A-Z0-9_]+)` [^|]*\| ([^|]*) \|", text, re.M):
            if name.startswith("LINKSPIDER_") or name not in project:
                continue
            value = project[name]
            if isinstance(value, bool):
                assert str(value) in cell, (path.name, name, cell, value)
            elif isinstance(value, int | float):
                number = re.search(r"(\d+(?:\.\d+)?)\s*(KiB|MiB)?", cell)
                if not number:
                    continue  # described in words ("breadth first")
                shown = float(number.group(1)) * units.get(number.group(2) or "", 1)
                assert shown == value, (path.name, name, cell, value)
            elif isinstance(value, str) and "<" not in cell:
                assert f"`{value}`" in cell, (path.name, name, cell, value)
            else:
                continue
            checked += 1
    assert checked >= 8
