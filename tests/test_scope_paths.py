"""Every page and download reads data only through the scoped path (enforced like the architecture test).

The router cuts the frame to the user's scope once (``ocops.ui.data.load_context``); pages get
that Context from ``page_context()``. Code that reads the store directly is listed here, each
place with why it is scoped, so a new direct read fails this test until it is reviewed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Functions that read records or batches from the store (not through the scoped frame).
STORE_READERS = {"records", "load_frame", "read_frame", "cached_frame", "list_batches", "data_status",
                 "batch_countries", "open_store", "make_engine"}
ALLOWED = {
    ("ocops/ui/data.py", "_frame", "cached_frame"),            # the whole frame, scoped by _scoped before use
    ("ocops/ui/data.py", "_status", "data_status"),            # batch count and last import time only
    ("ocops/ui/data.py", "store", "open_store"),               # the engine, kept in the Context
    ("ocops/ui/downloads.py", "scoped_records", "records"),    # filter passed through scope_filter
    ("ocops/ui/upload_widgets.py", "history", "list_batches"),  # wrapped in visible_batches
    ("ocops/ui/upload_widgets.py", "history", "batch_countries"),
    ("ocops/ui/upload_widgets.py", "_confirm_removal", "batch_countries"),  # may_remove checks the scope
    ("ocops/ui/operations.py", "_batches", "list_batches"),    # file names looked up by the scoped frame's batch ids
}


def _ui_files() -> list[Path]:
    return sorted([*(ROOT / "ocops" / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "dashboard.py"])


def _calls(path: Path) -> list[tuple[str, str, ast.Call]]:
    """(enclosing function, called name, node) for every call in the file."""
    found: list[tuple[str, str, ast.Call]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Call):
                func = child.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                found.append((function, called, child))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_store_reads_outside_the_scoped_frame_are_only_the_reviewed_ones() -> None:
    reads = {(str(path.relative_to(ROOT)), function, called)
             for path in _ui_files() for function, called, _node in _calls(path) if called in STORE_READERS}
    assert reads == ALLOWED


def test_record_exports_pass_the_scope() -> None:
    path = ROOT / "ocops" / "ui" / "downloads.py"
    for _function, called, node in _calls(path):
        if called == "records":
            flt = node.args[1]
            assert isinstance(flt, ast.Call) and getattr(flt.func, "id", "") == "scope_filter"


def test_history_and_removal_are_scoped() -> None:
    text = (ROOT / "ocops" / "ui" / "upload_widgets.py").read_text(encoding="utf-8")
    assert "visible_batches(list_batches(context.engine), batch_countries(context.engine), context.scope)" in text
    assert "may_remove(int(batch[\"batch_id\"]), batch_countries(context.engine), context.scope)" in text
    assert "restrict=_in_scope(context)" in text  # imports and dry runs reject rows outside the scope


def test_pages_take_the_scoped_context_and_never_the_engine() -> None:
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert "context = page_context()" in text, f"{page.name} must use the router's scoped Context"
        if page.name != "audit.py":  # the audit log is not records; the page is for admins only
            assert "context.engine" not in text, f"{page.name} reads the store directly"


def test_the_router_scopes_before_filters_and_views_are_cached_per_scope() -> None:
    router = (ROOT / "ocops" / "ui" / "router.py").read_text(encoding="utf-8")
    # the scoped context is made first; the filters (or their kept values) only narrow it
    assert router.index("context = data.load_context(identity)") < router.index("filters.sidebar_filters(context)")
    assert "load_context(" not in router.split("context = data.load_context(identity)", 1)[1]
    data = (ROOT / "ocops" / "ui" / "data.py").read_text(encoding="utf-8")
    assert "scope = identity.scope or EVERYTHING\n    frame = _scoped(key, version, scope, _frame(" in data
    assert "def _view(name: str, store_key: str, version: int, scope: Scope," in data
    assert "def _map(name: str, store_key: str, version: int, scope: Scope," in data
    assert "version: int, scope: Scope, flt: Filter, args: tuple[Any, ...],\n            chart_args" in data
