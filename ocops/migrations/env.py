"""Alembic environment: always run on the connection ocops hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import ocops.models  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - ocops never runs alembic without one
    raise RuntimeError("ocops migrations run through ocops.store.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
