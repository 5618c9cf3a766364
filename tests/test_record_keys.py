"""Golden record keys: the keys (and value hashes) of fixture rows as computed by the release
that stores already hold. A change to normalisation that changes any of them would make every
store treat a re-import as new rows (duplicating it): such a change needs a new key rule and a
migration of the stored keys, never a silent edit of these values (CONTRACT.md section 5)."""

from __future__ import annotations

from pathlib import Path

from ocops.importer import Vocabulary, prepare
from ocops.ingest.mapping import Mapping

FIXTURES = Path(__file__).parent / "fixtures"

# (row, key, value_hash) pinned from release 0.1.0 (key rule 1).
CANONICAL = [
    (1, "h:230f22ebb2f8e821ff35bf11f96a715e", "61b56d52bc2e02f7568b3ea58f96b748"),
    (2, "h:a9be3a4d07e9cd5fc1807efd697ea2da", "a99867063e7933c193b0265399595ffb"),
    (3, "h:83bf0d71a0cf2e7c549638fb4f29b1c9", "41e4ba913fec8decafbb248be648da38"),
    (4, "id:OPS-7", "590846e6a412bd3c93fdb7876cd5a7e3"),
    (5, "h:2ac239d2ef31780aaf23c4a437fedab2", "0c57b2fb43339ad18538d7dfa402e22c"),
]
MAPPED = [
    (1, "h:12e1809fcc2bc83e0e4fddbf6ddc4447", "ea6a5a260e46966f8c72192c55175568"),
    (2, "h:1546e01bc09e80c5712aa74a3e90e1d4", "396f0fcc355ec813a769fcd8399cb6be"),
    (3, "h:e661f54a872b35810abebecf97eb056b", "c1730728e70b64957deba6a3cf3b5cf3"),
]
TORONTO_STYLE = {
    "columns": {"ARREST_YEAR": "date", "ARREST_COUNT": "arrests", "_id": "ignore", "CATEGORY": "crime_area"},
    "constants": {"country": "Canada", "operation": "Toronto annual arrests"},
    "values": {"crime_area": {"Crimes Against Property": "Other", "Crimes Against the Person": "Other"}},
}


def _keys(name: str, vocabulary: Vocabulary, mapping: Mapping | None = None) -> list[tuple[int, str, str]]:
    prepared = prepare((FIXTURES / name).read_bytes(), name, vocabulary, mapping)
    assert prepared.errors == []
    columns = prepared.columns
    return [(int(r), str(k), str(h)) for r, k, h in zip(columns["row"], columns["key"], columns["value_hash"],
                                                         strict=True)]


def test_canonical_rows_keep_their_keys(vocabulary: Vocabulary) -> None:
    """Every contract field, an unmapped column, a record_id, periods, units and stray spaces."""
    assert _keys("keys_golden.csv", vocabulary) == CANONICAL


def test_mapped_rows_keep_their_keys(vocabulary: Vocabulary) -> None:
    """Constants, an ignored column, a translated value and an unmapped column (SEX)."""
    assert _keys("keys_golden_mapped.csv", vocabulary, Mapping.from_data(TORONTO_STYLE)) == MAPPED
