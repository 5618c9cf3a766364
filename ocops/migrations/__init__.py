"""Alembic migrations of the ocops store (run by ``ocops.store.upgrade``)."""
