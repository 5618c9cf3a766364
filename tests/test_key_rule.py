"""The key rule (ocops.keyrule): stores record which rule their keys follow, imports refuse a store
whose rule differs from the code's, and a change of the computed keys or of the rule constant fails
here unless it comes with a new rule and a migration (the workflow is in ocops/keyrule.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from ocops import keyrule
from ocops.errors import StoreError
from ocops.importer import Vocabulary, import_bytes, prepare
from ocops.ingest.mapping import Mapping
from ocops.store import MIGRATIONS_DIR, data_version, make_engine, open_store

FIXTURES = Path(__file__).parent / "fixtures"
# sha256 of the golden fixtures' "row key value_hash" lines under each key rule. Rule 1 is the
# digest of the values pinned in tests/test_record_keys.py (release 0.1.0). Never edit an entry:
# a new rule adds one, together with the migration that converts stored keys (ocops/keyrule.py).
GOLDEN_DIGESTS = {1: "6e5d92a7c76b7f3f2f692de2e51a887818f6a75583fbdedd2e327f98222efa4a"}
TORONTO_STYLE = {
    "columns": {"ARREST_YEAR": "date", "ARREST_COUNT": "arrests", "_id": "ignore", "CATEGORY": "crime_area"},
    "constants": {"country": "Canada", "operation": "Toronto annual arrests"},
    "values": {"crime_area": {"Crimes Against Property": "Other", "Crimes Against the Person": "Other"}},
}
ROWS = "operation,date,country,crime_area,arrests\nOp A,2019-03-01,France,Drug trafficking,5\n"
REFUSAL = ("This store's record keys follow key rule 2, but this version of ocops computes key rule 1: an import "
           "now would store rows it already holds a second time. Use the ocops version that migrated the store "
           "(or add the migration that converts its keys) before importing.")


def golden_digest(vocabulary: Vocabulary) -> str:
    lines = []
    for name, mapping in (("keys_golden.csv", None), ("keys_golden_mapped.csv", Mapping.from_data(TORONTO_STYLE))):
        prepared = prepare((FIXTURES / name).read_bytes(), name, vocabulary, mapping)
        columns = prepared.columns
        lines += [f"{r} {k} {h}" for r, k, h in zip(columns["row"], columns["key"], columns["value_hash"], strict=True)]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_the_golden_keys_are_those_of_the_current_rule(vocabulary: Vocabulary) -> None:
    """Fails when normalisation changes a key without a new KEY_RULE (or a new rule lacks its digest)."""
    assert golden_digest(vocabulary) == GOLDEN_DIGESTS[keyrule.KEY_RULE]


def test_a_store_is_migrated_to_the_code_key_rule(engine: Engine) -> None:
    """Fails when KEY_RULE changes without a migration that sets the stored rule."""
    with engine.connect() as conn:
        assert keyrule.stored_rule(conn) == keyrule.KEY_RULE == 1


def test_a_store_made_before_the_rule_was_recorded_follows_rule_1(store_url: str, vocabulary: Vocabulary) -> None:
    old = make_engine(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with old.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with old.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key = 'key_rule'")).scalar() == 0
    old.dispose()
    engine = open_store(store_url)
    try:
        with engine.connect() as conn:
            assert keyrule.stored_rule(conn) == 1
        assert import_bytes(engine, ROWS.encode(), "rows.csv", vocabulary).imported == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_store_with_another_key_rule_refuses_imports(engine: Engine, vocabulary: Vocabulary, dry_run: bool) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta SET value = 2 WHERE key = 'key_rule'"))
    with pytest.raises(StoreError) as refused:
        import_bytes(engine, ROWS.encode(), "rows.csv", vocabulary, dry_run=dry_run)
    assert str(refused.value) == REFUSAL
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar() == 0
    assert data_version(engine) == 0
