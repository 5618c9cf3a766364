"""The append-only audit log: who did what, when, with a hash chain.

Every entry stores the SHA-256 of the previous entry's hash and its own
fields, so an SQLite file edited behind the app's back (triggers dropped,
a row changed or removed) is detected by :func:`verify`. The database
refuses UPDATE and DELETE on the table by triggers (migration 0003).

Other features call :func:`record` (engine, user, action, detail dict).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.models import AuditEntry
from ocops.store import SQLITE_IMMEDIATE

AUDIT_LOCK_ID = 0x0C0B7  # PostgreSQL advisory lock serialising appends (never the import lock)
GENESIS = "0" * 64
ACTIONS: tuple[str, ...] = ("sign-in", "sign-out", "access-denied", "view", "export", "report", "import",
                            "remove-batch", "preset-save", "preset-delete", "session-expired")

audit_log: sa.Table = AuditEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: entries checked and the first bad one (None when intact)."""

    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the whole chain verified."""
        return self.broken_at is None


def cli_user() -> str:
    """How the command line names its user in the log: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def canonical(detail: Mapping[str, Any]) -> str:
    """The JSON text stored for ``detail`` (sorted keys, no spaces), the form the hash covers."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, entry_id: int, at: str, user: str, action: str, detail: str) -> str:
    """SHA-256 over the previous hash and the entry's fields."""
    payload = json.dumps([prev_hash, entry_id, at, user, action, detail], ensure_ascii=False,
                         separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(engine: Engine, user: str, action: str, detail: Mapping[str, Any] | None = None) -> int:
    """Append one entry; returns its id. Appends are serialised so the chain never forks."""
    text = canonical(detail or {})
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": AUDIT_LOCK_ID})
            last = conn.execute(sa.select(audit_log.c.id, audit_log.c.hash)
                                .order_by(audit_log.c.id.desc()).limit(1)).first()
            entry_id = (last.id + 1) if last else 1
            prev = last.hash if last else GENESIS
            conn.execute(audit_log.insert().values(
                id=entry_id, at=at, user=user, action=action, detail=text, prev_hash=prev,
                hash=entry_hash(prev, entry_id, at, user, action, text)))
    return entry_id


def entries(engine: Engine, *, since: dt.date | dt.datetime | None = None, until: dt.date | None = None,
            user: str | None = None, action: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Entries oldest first, optionally from a day/time, up to a day, of one user and one action."""
    query = sa.select(audit_log).order_by(audit_log.c.id)
    if since is not None:
        query = query.where(audit_log.c.at >= since.isoformat())
    if until is not None:
        query = query.where(audit_log.c.at < (until + dt.timedelta(days=1)).isoformat())
    if user:
        query = query.where(audit_log.c.user == user)
    if action:
        query = query.where(audit_log.c.action == action)
    if limit is not None:
        query = query.order_by(None).order_by(audit_log.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    rows.sort(key=lambda row: row["id"])
    return [{"id": row["id"], "at": row["at"], "user": row["user"], "action": row["action"],
             "detail": json.loads(row["detail"])} for row in rows]


def has_entry(engine: Engine, user: str, action: str, detail: Mapping[str, Any]) -> bool:
    """Whether an entry with exactly this user, action and detail exists (e.g. one sign-in per token)."""
    query = sa.select(sa.func.count()).select_from(audit_log).where(
        audit_log.c.user == user, audit_log.c.action == action, audit_log.c.detail == canonical(detail))
    with engine.connect() as conn:
        return bool(conn.execute(query).scalar())


def verify(engine: Engine) -> Verification:
    """Recompute the chain from the first entry; the first entry whose hash or link is wrong is reported."""
    prev, count, expected_id = GENESIS, 0, 1
    with engine.connect() as conn:
        for row in conn.execute(sa.select(audit_log).order_by(audit_log.c.id)):
            count += 1
            if row.id != expected_id:
                return Verification(count, row.id, f"entry {expected_id} is missing (the next one is {row.id})")
            if row.prev_hash != prev:
                return Verification(count, row.id, f"entry {row.id} does not follow entry {row.id - 1}")
            if row.hash != entry_hash(prev, row.id, row.at, row.user, row.action, row.detail):
                return Verification(count, row.id, f"entry {row.id} was changed after it was written")
            prev, expected_id = row.hash, row.id + 1
    return Verification(count)


def table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Entries as a table (detail as its JSON text), newest first, for the Audit page and its CSV."""
    frame = pd.DataFrame([{**row, "detail": canonical(row["detail"])} for row in reversed(rows)],
                         columns=["id", "at", "user", "action", "detail"])
    return frame


def users_seen(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Each user's latest sign-in: when, and the role and scope their claims granted then."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["action"] == "sign-in":
            latest[row["user"]] = {"user": row["user"], "signed_in": row["at"], "role": row["detail"].get("role"),
                                   "scope": row["detail"].get("scope")}
    return pd.DataFrame([latest[name] for name in sorted(latest)], columns=["user", "signed_in", "role", "scope"])
