"""The record key rule: which version of the key computation a store's keys follow.

A row's key (``ocops.ingest.normalise``: its ``record_id``, else a hash of the
text forms of its non-measure values and unmapped columns) is how a re-import
finds the rows it already holds. If the computation changed silently, every
key in every store would stop matching and the next re-import would duplicate
whole stores. So the computation has a version, :data:`KEY_RULE`, and each
store records the version its keys follow (``meta.key_rule``, set by Alembic
migration 0004 to 1, the rule of every release so far).

Imports refuse a store whose rule differs from the code's (:func:`check`), and
``tests/test_key_rule.py`` fails when the keys of the golden fixtures change
without a new rule, or the rule changes without a migration. To change the
key computation on purpose:

1. bump :data:`KEY_RULE`;
2. write an Alembic migration that recomputes ``records.key`` and
   ``record_history.key`` of existing stores from the old rule to the new one
   (with the migration's own frozen copy of both rules, never importing this
   code) and sets ``meta.key_rule`` to the new number;
3. add the new rule's digest of the golden keys to ``GOLDEN_DIGESTS`` in
   ``tests/test_key_rule.py`` (the old entries stay) and give
   ``tests/test_record_keys.py`` the new rule's pinned keys beside the old ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ocops.errors import StoreError

KEY_RULE = 1


def stored_rule(conn: Connection) -> int | None:
    """The key rule the store's keys follow (None if the store does not say)."""
    value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'key_rule'")).scalar()
    return None if value is None else int(value)


def check(conn: Connection) -> None:
    """Refuse to write keys into a store whose keys follow another rule than this code's."""
    stored = stored_rule(conn)
    if stored != KEY_RULE:
        which = "an unknown key rule" if stored is None else f"key rule {stored}"
        raise StoreError(
            f"This store's record keys follow {which}, but this version of ocops computes key rule {KEY_RULE}: "
            "an import now would store rows it already holds a second time. Use the ocops version that "
            "migrated the store (or add the migration that converts its keys) before importing."
        )
