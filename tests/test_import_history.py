"""Keys, upsert, history and exact undo (CONTRACT.md section 5), checked with summary figures."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.errors import UnknownBatch
from ocops.importer import Vocabulary, import_bytes, list_batches, remove_batch
from ocops.ingest.mapping import Mapping

HEADER = "record_id,operation,date,country,crime_area,arrests,seizures\n"
A = HEADER + "K1,Op A,2019-01-01,BRA,drugs,10,1\nK2,Op A,2019-01-02,COL,drugs,20,2\n"
B = HEADER + "K1,Op A,2019-01-01,BRA,drugs,11,1\nK2,Op A,2019-01-02,COL,drugs,20,2\nK3,Op B,2019-02-01,PER,THB,5,0\n"
C = HEADER + "K1,Op A,2019-01-01,BRA,drugs,12,1\n"


def figures(engine: Engine) -> tuple[int, int, int]:
    """(records, arrests, seizures) from the query layer."""
    totals = queries.summary(queries.load_frame(engine), queries.Filter(), None)["totals"]  # type: ignore[arg-type]
    return totals["records"], totals["arrests"], totals["seizures"]


def run(engine: Engine, vocabulary: Vocabulary, text: str, name: str) -> tuple[int, int, int, int, list[int]]:
    report = import_bytes(engine, text.encode(), name, vocabulary)
    assert report.batch_id is not None
    return report.batch_id, report.imported, report.updated, report.unchanged, report.updated_from_batches


def test_upsert_counts_and_the_batches_updated_rows_came_from(engine: Engine, vocabulary: Vocabulary) -> None:
    assert run(engine, vocabulary, A, "a.csv") == (1, 2, 0, 0, [])
    assert figures(engine) == (2, 30, 3)
    assert run(engine, vocabulary, A, "a-again.csv") == (2, 0, 0, 2, [])
    assert figures(engine) == (2, 30, 3)
    assert run(engine, vocabulary, B, "b.csv") == (3, 1, 1, 1, [1])
    assert figures(engine) == (3, 11 + 20 + 5, 3)
    assert run(engine, vocabulary, C, "c.csv") == (4, 0, 1, 0, [3])
    assert figures(engine) == (3, 12 + 20 + 5, 3)
    batches = {b["batch_id"]: (b["imported"], b["updated"], b["unchanged"], b["current_records"])
               for b in list_batches(engine)}
    assert batches == {1: (2, 0, 0, 1), 2: (0, 0, 2, 0), 3: (1, 1, 1, 1), 4: (0, 1, 0, 1)}


@pytest.mark.parametrize(("order", "after_each"), [
    # A adds K1=10,K2=20; batch 2 has A again (unchanged); B sets K1=11, has K2 unchanged, adds K3=5; C sets K1=12.
    ((3, 4, 1, 2), [(2, 12 + 20, 1 + 2), (2, 10 + 20, 3), (2, 10 + 20, 3), (0, 0, 0)]),  # batch 2 holds K1, K2
    ((4, 3, 1, 2), [(3, 11 + 20 + 5, 3), (2, 10 + 20, 3), (2, 10 + 20, 3), (0, 0, 0)]),
    ((1, 4, 3, 2), [(3, 12 + 20 + 5, 3), (3, 11 + 20 + 5, 3), (2, 10 + 20, 3), (0, 0, 0)]),  # K2 stays: 2 and B hold it
])
def test_remove_batch_pops_exactly_its_layer(
    engine: Engine, vocabulary: Vocabulary, order: tuple[int, ...], after_each: list[tuple[int, int, int]]
) -> None:
    run(engine, vocabulary, A, "a.csv")
    run(engine, vocabulary, A, "a-again.csv")  # batch 2: unchanged only
    run(engine, vocabulary, B, "b.csv")
    run(engine, vocabulary, C, "c.csv")
    for batch_id, expected in zip(order, after_each, strict=True):
        remove_batch(engine, batch_id)
        assert figures(engine) == expected, f"after removing batch {batch_id}"


def test_remove_reports_removed_and_restored(engine: Engine, vocabulary: Vocabulary) -> None:
    run(engine, vocabulary, A, "a.csv")
    run(engine, vocabulary, B, "b.csv")
    removal = remove_batch(engine, 2)
    assert removal.to_dict() == {"batch_id": 2, "file": "b.csv", "removed": 1, "restored": 1}
    assert figures(engine) == (2, 30, 3)
    with pytest.raises(UnknownBatch, match="^There is no batch 3: list the batches with `python -m ocops batches`.$"):
        remove_batch(engine, 3)


def test_hashed_keys_keep_rows_that_differ_only_in_unmapped_columns(engine: Engine, vocabulary: Vocabulary) -> None:
    text = ("operation,date,country,crime_area,arrests,sex,age_group\n"
            "Op,2019,CAN,drugs,3,F,adult\nOp,2019,CAN,drugs,4,M,adult\nOp,2019,CAN,drugs,5,M,youth\n"
            "Op,2019,CAN,drugs,6,M,youth\n")
    report = import_bytes(engine, text.encode(), "x.csv", vocabulary, mapping=Mapping(duplicates="reject"))
    assert (report.imported, report.rejected) == (3, 1)
    assert [(e.row, e.column, e.message) for e in report.errors] == [(4, "row", "duplicate of row 3")]
    assert figures(engine) == (3, 3 + 4 + 5, 0)
    # The same rows with new counts update (measures are not part of the key).
    changed = text.replace(",3,F", ",30,F").replace("drugs,6,M,youth\n", "")
    report = import_bytes(engine, changed.encode(), "x2.csv", vocabulary, mapping=Mapping(duplicates="reject"))
    assert (report.imported, report.updated, report.unchanged, report.updated_from_batches) == (0, 1, 2, [1])
    assert figures(engine) == (3, 30 + 4 + 5, 0)


def test_value_mapping_merges_categories_without_merging_rows(engine: Engine, vocabulary: Vocabulary) -> None:
    from ocops.ingest.mapping import Mapping

    text = "operation,date,country,CATEGORY,arrests\nOp,2019,CAN,Crimes Against Property,3\nOp,2019,CAN,Crimes Against the Person,4\n"
    mapping = Mapping(values={"crime_area": {"crimes against property": "Other", "Crimes Against the Person": "Other"}})
    report = import_bytes(engine, text.encode(), "x.csv", vocabulary, mapping=mapping)
    assert (report.imported, report.rejected) == (2, 0)
    assert figures(engine) == (2, 7, 0)
