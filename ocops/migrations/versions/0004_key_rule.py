"""Record the key rule the stored keys follow (ocops.keyrule): rule 1 for every store so far.

Revision ID: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen: the rule every release before this migration computed. Never import ocops.keyrule here.
KEY_RULE_1 = 1


def upgrade() -> None:
    op.execute(f"INSERT INTO meta (key, value) VALUES ('key_rule', {KEY_RULE_1})")


def downgrade() -> None:
    op.execute("DELETE FROM meta WHERE key = 'key_rule'")
