"""Seized quantities in their own table, batch membership, removed batches kept.

- ``quantities``: zero or more seized quantities per record version (the record's
  ``seized_*`` columns move here without loss: item, quantity, unit, kind, amount,
  value; ``item_group`` is the item's vocabulary item from the bundled list).
- ``records.version`` / ``record_history.version``: a number per set of values that
  the quantities refer to; it stays with the values when they move between the two.
- ``record_batches``: every batch that holds a record, with its value hash (filled
  from the versions the store holds; rows a batch had unchanged were not recorded before).
- ``batches.removed_at`` / ``removed_by``: a removed batch stays in the history.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEIZED = ("seized_item", "seized_quantity", "seized_unit", "seized_kind", "seized_amount", "seized_value_usd")


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("removed_by", sa.String(), nullable=True))
    for table in ("records", "record_history"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.BigInteger(), nullable=True))
    op.execute("UPDATE records SET version = id")
    op.execute("UPDATE record_history SET version = id + (SELECT coalesce(max(id), 0) FROM records)")

    op.create_table(
        "quantities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(), nullable=True),
        sa.Column("item_group", sa.String(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("kind", sa.String(length=5), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("value_usd", sa.Float(), nullable=True),
    )
    op.create_index("ix_quantities_version", "quantities", ["version"])
    for table in ("records", "record_history"):
        op.execute(
            "INSERT INTO quantities (version, position, item, item_group, quantity, unit, kind, amount, value_usd) "
            "SELECT version, 0, seized_item, 'Other', seized_quantity, seized_unit, seized_kind, seized_amount, "
            f"seized_value_usd FROM {table} WHERE seized_item IS NOT NULL OR seized_quantity IS NOT NULL "
            "OR seized_unit IS NOT NULL OR seized_value_usd IS NOT NULL"
        )
    _group_items()

    op.create_table(
        "record_batches",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("value_hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key", "batch_id"),
    )
    op.create_index("ix_record_batches_batch_id", "record_batches", ["batch_id"])
    op.execute("INSERT INTO record_batches (key, batch_id, value_hash) "
               "SELECT key, batch_id, value_hash FROM records UNION "
               "SELECT key, batch_id, value_hash FROM record_history")

    for table in ("records", "record_history"):
        with op.batch_alter_table(table) as batch:
            for column in SEIZED:
                batch.drop_column(column)
            batch.alter_column("version", existing_type=sa.BigInteger(), nullable=False)
    op.create_index("ix_records_version", "records", ["version"], unique=True)
    op.create_index("ix_record_history_version", "record_history", ["version"])
    op.execute("INSERT INTO meta (key, value) VALUES ('next_version', "
               "(SELECT coalesce(max(v), 0) + 1 FROM (SELECT max(version) AS v FROM records "
               "UNION ALL SELECT max(version) FROM record_history) AS versions))")


def _group_items() -> None:
    """Each distinct written item gets its vocabulary item (the bundled list; "Other" if unknown)."""
    from ocops.seized_items import load_seized_items

    items = load_seized_items()
    conn = op.get_bind()
    written = [row[0] for row in conn.execute(sa.text("SELECT DISTINCT item FROM quantities WHERE item IS NOT NULL"))]
    update = sa.text("UPDATE quantities SET item_group = :group WHERE item = :item")
    for item in written:
        group = items.group(item)
        if group != "Other":
            conn.execute(update, {"group": group, "item": item})


def downgrade() -> None:
    raise NotImplementedError("0002 cannot be undone: a record may now hold several quantities.")
