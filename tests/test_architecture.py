"""The layering rules of the brief, enforced."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_never_import_streamlit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "ocops").rglob("*.py")
        if "ui" not in path.relative_to(ROOT / "ocops").parts[:1] and "streamlit" in _imports(path)
    ]
    assert offenders == []


def test_core_has_modules_and_ui_is_separate() -> None:
    core = {p.stem for p in (ROOT / "ocops").glob("*.py")}
    assert {"config", "errors", "models", "store", "queries", "cli", "geo", "taxonomy"} <= core


def test_pages_hold_no_sql_or_reshaping() -> None:
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        for word in ("SELECT ", "INSERT INTO", "DELETE FROM", "groupby(", ".merge(", ".pivot", "import sqlalchemy"):
            assert word not in text, f"{page.name} contains {word!r}: move it into ocops"
        assert len(text.splitlines()) <= 80, f"{page.name} is long: pages only lay out widgets"
