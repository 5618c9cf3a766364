"""SQLModel tables of the store of record.

``table=True`` models skip validation: rows reach the store only through the
importer, which validates every value first (``ocops.ingest``).
Bulk writes go through SQLAlchemy Core / the driver, never the ORM.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class BatchBase(SQLModel):
    """What an import batch records about itself."""

    filename: str
    sha256: str = Field(max_length=64)
    user: str = "unknown"
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class Batch(BatchBase, table=True):
    """One import: a file applied to the store in one transaction. A removed batch stays
    listed (``removed_at``, ``removed_by``), so batch numbers are never reused."""

    __tablename__ = "batches"
    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    removed_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    removed_by: str | None = None


class RecordValues(SQLModel):
    """The stored values of one record (contract fields plus derived columns); its seized
    quantities are rows of ``quantities`` with the version's number."""

    record_id: str | None = None
    operation: str
    date: dt.date
    end_date: dt.date | None = None
    country: str = Field(max_length=3)
    country_name: str
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    crime_area: str
    arrests: int = 0
    seizures: int = 0
    victims_rescued: int = 0
    lead_agency: str | None = None
    source: str | None = None
    notes: str | None = None


class Record(RecordValues, table=True):
    """The current values of one record; ``key`` is unique (CONTRACT.md section 5)."""

    __tablename__ = "records"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    value_hash: str
    batch_id: int = Field(index=True)  # the batch whose values these are
    version: int = Field(sa_type=sa.BigInteger, unique=True, index=True)  # this set of values; never reused


class RecordHistory(RecordValues, table=True):
    """A superseded version of a record: the values ``batch_id`` had set
    until ``superseded_by`` replaced them. Removing a batch pops its layer."""

    __tablename__ = "record_history"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    value_hash: str
    batch_id: int = Field(index=True)
    superseded_by: int = Field(index=True)
    version: int = Field(sa_type=sa.BigInteger, index=True)


class Quantity(SQLModel, table=True):
    """One seized quantity of a record version: the item as written and the vocabulary item it
    counts under (``item_group``, "Other" when unknown), the quantity and unit as given, the
    normalised ``kind`` (kg / l / items) and ``amount``, and the value in USD."""

    __tablename__ = "quantities"
    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_type=sa.BigInteger, index=True)
    position: int = 0
    item: str | None = None
    item_group: str
    quantity: float | None = None
    unit: str | None = None
    kind: str | None = Field(default=None, max_length=5)
    amount: float | None = None
    value_usd: float | None = None


class RecordBatch(SQLModel, table=True):
    """A batch that holds a record: every batch whose file had the row, changed or not, with
    the value hash it had. A record stays while any batch holds it (CONTRACT.md section 5)."""

    __tablename__ = "record_batches"
    key: str = Field(primary_key=True)
    batch_id: int = Field(primary_key=True, index=True)
    value_hash: str


class Preset(SQLModel, table=True):
    """A saved column mapping, offered again for files with the same headers."""

    __tablename__ = "presets"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    headers: str  # JSON list of the source headers it was made for
    mapping: str  # mapping JSON (CONTRACT.md section 2)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Meta(SQLModel, table=True):
    """Small key/value facts about the store, e.g. the data version."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: int = 0


class AuditEntry(SQLModel, table=True):
    """One line of the append-only audit log (migration 0003; written only by ``ocops.audit``)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)  # UTC, ISO 8601 with microseconds
    user: str
    action: str
    detail: str = Field(sa_type=sa.Text)  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
