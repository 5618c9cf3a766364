"""Initial schema: batches, records, record history, presets, meta.

Revision ID: 0001
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _value_columns() -> list[sa.Column]:
    return [
        sa.Column("record_id", sa.String(), nullable=True),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("country_name", sa.String(), nullable=False),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("crime_area", sa.String(), nullable=False),
        sa.Column("arrests", sa.Integer(), nullable=False),
        sa.Column("seizures", sa.Integer(), nullable=False),
        sa.Column("victims_rescued", sa.Integer(), nullable=False),
        sa.Column("seized_item", sa.String(), nullable=True),
        sa.Column("seized_quantity", sa.Float(), nullable=True),
        sa.Column("seized_unit", sa.String(), nullable=True),
        sa.Column("seized_kind", sa.String(length=5), nullable=True),
        sa.Column("seized_amount", sa.Float(), nullable=True),
        sa.Column("seized_value_usd", sa.Float(), nullable=True),
        sa.Column("lead_agency", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_value_columns(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value_hash", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_records_batch_id", "records", ["batch_id"])
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        *_value_columns(),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value_hash", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=False),
    )
    op.create_index("ix_record_history_key", "record_history", ["key"])
    op.create_index("ix_record_history_batch_id", "record_history", ["batch_id"])
    op.create_index("ix_record_history_superseded_by", "record_history", ["superseded_by"])
    op.create_table(
        "presets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("headers", sa.String(), nullable=False),
        sa.Column("mapping", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO meta (key, value) VALUES ('data_version', 0)")
    # A random id per store: local caches are named by (store id, data version).
    op.execute(f"INSERT INTO meta (key, value) VALUES ('store_id', {secrets.randbelow(2**31 - 1) + 1})")


def downgrade() -> None:
    for table in ("meta", "presets", "record_history", "records", "batches"):
        op.drop_table(table)
