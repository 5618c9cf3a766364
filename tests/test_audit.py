"""The append-only audit log: triggers on both stores, the hash chain, and `python -m ocops audit`."""

from __future__ import annotations

import getpass
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops import audit
from ocops.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "app_operations.csv"
REFUSAL = "audit_log is append-only: entries cannot be changed or removed"


def test_entries_are_recorded_in_order_with_their_detail(engine: Engine) -> None:
    assert audit.record(engine, "ana@example.org", "sign-in", {"role": "viewer", "scope": "Europe"}) == 1
    assert audit.record(engine, "ana@example.org", "export", {"rows": 11, "filter": {"region": ["Europe"]}}) == 2
    assert audit.record(engine, "bo@example.org", "view", {"page": "map"}) == 3
    rows = audit.entries(engine)
    assert [(r["id"], r["user"], r["action"]) for r in rows] == [
        (1, "ana@example.org", "sign-in"), (2, "ana@example.org", "export"), (3, "bo@example.org", "view")]
    assert rows[1]["detail"] == {"rows": 11, "filter": {"region": ["Europe"]}}
    assert [r["id"] for r in audit.entries(engine, user="ana@example.org", action="export")] == [2]
    assert audit.verify(engine) == audit.Verification(3)
    assert audit.has_entry(engine, "ana@example.org", "sign-in", {"scope": "Europe", "role": "viewer"})
    assert not audit.has_entry(engine, "ana@example.org", "sign-in", {"scope": "Africa", "role": "viewer"})


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'view'", "DELETE FROM audit_log"])
def test_the_store_refuses_to_change_or_remove_entries(engine: Engine, statement: str) -> None:
    audit.record(engine, "ana@example.org", "export", {"rows": 1})
    with pytest.raises(sa.exc.DatabaseError, match=REFUSAL), engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert [r["action"] for r in audit.entries(engine)] == ["export"]


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_truncate_is_refused_on_postgresql(engine: Engine) -> None:
    audit.record(engine, "ana@example.org", "export", {})
    with pytest.raises(sa.exc.DatabaseError, match=REFUSAL), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_log"))


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(("statement", "reason"), [
    ("UPDATE audit_log SET user = 'someone-else' WHERE id = 2", "entry 2 was changed after it was written"),
    ("DELETE FROM audit_log WHERE id = 2", "entry 2 is missing (the next one is 3)"),
])
def test_tampering_with_an_sqlite_file_is_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   statement: str, reason: str) -> None:
    db = tmp_path / "ocops.db"
    url = f"sqlite:///{db}"
    assert main(["--db", url, "import", str(FIXTURE)]) == 0
    assert main(["--db", url, "export", "--region", "Africa", "--format", "csv", "--out",
                 str(tmp_path / "a.csv")]) == 0
    assert main(["--db", url, "remove-batch", "1"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "audit", "--verify"]) == 0
    assert json.loads(capsys.readouterr().out) == {"verified": True, "entries": 3}
    _tamper(db, statement)
    assert main(["--db", url, "audit", "--verify"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: The audit log was tampered with: {reason}. Restore the store from a backup and investigate.\n"


def test_cli_records_its_actions_and_prints_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ocops.db'}"
    assert main(["--db", url, "import", str(FIXTURE)]) == 0
    assert main(["--db", url, "import", str(FIXTURE), "--dry-run"]) == 0  # writes nothing: not audited
    assert main(["--db", url, "export", "--region", "Africa", "--format", "csv", "--out",
                 str(tmp_path / "a.csv")]) == 0
    assert main(["--db", url, "summary"]) == 0  # reading figures is not audited on the command line
    capsys.readouterr()
    assert main(["--db", url, "audit"]) == 0
    rows = json.loads(capsys.readouterr().out)
    user = f"cli:{getpass.getuser()}"
    assert [(r["user"], r["action"]) for r in rows] == [(user, "import"), (user, "export")]
    assert rows[0]["detail"] == {"file": "app_operations.csv", "batch_id": 1, "imported": 21, "updated": 0,
                                 "rejected": 0}
    assert rows[1]["detail"] == {"filter": {"region": ["Africa"]}, "format": "csv", "rows": 6}
    assert main(["--db", url, "audit", "--action", "export", "--user", user]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [2]
    assert main(["--db", url, "audit", "--since", "2999-01-01"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--db", url, "audit", "--since", "yesterday"]) == 2
    assert capsys.readouterr().err == "error: --since 'yesterday' is not a date: use YYYY-MM-DD.\n"


def test_tables_for_the_audit_page() -> None:
    rows = [{"id": 1, "at": "2026-01-01T10:00:00+00:00", "user": "a", "action": "sign-in",
             "detail": {"role": "viewer", "scope": "Europe"}},
            {"id": 2, "at": "2026-01-02T10:00:00+00:00", "user": "a", "action": "sign-in",
             "detail": {"role": "analyst", "scope": "France"}}]
    table = audit.table(rows)
    assert list(table["id"]) == [2, 1] and table.loc[0, "detail"] == '{"role":"analyst","scope":"France"}'
    assert audit.users_seen(rows).to_dict("records") == [
        {"user": "a", "signed_in": "2026-01-02T10:00:00+00:00", "role": "analyst", "scope": "France"}]
