"""Property-based fuzzing: arbitrary bytes and arbitrary CSV shapes raise only OcopsError
subclasses and never write partially."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from ocops.errors import OcopsError
from ocops.importer import Vocabulary, import_bytes
from ocops.ingest.mapping import Mapping

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NAMES = st.sampled_from(["f.csv", "f.tsv", "f.txt", "f.xlsx", "f.CSV"])
HEADERS = st.sampled_from([
    "operation", "Operation Name", "date", "end_date", "country", "ISO3", "crime_area", "Crime Type",
    "arrests", "No. of arrests", "seizures", "victims_rescued", "latitude", "Lng", "seized_quantity",
    "seized_unit", "record_id", "geometry", "notes", "sex", "",
])
CELLS = st.one_of(
    st.sampled_from(["Op A", "2019-03-01", "05/07/2018", "2019", "July 2019", "BRA", "Brazil", "Atlantis", "XK",
                     "drugs", "THB", "1,200", "1.234,5", "-3", "12", "", "kg", "g", "NA", "91", "-79.4",
                     "{'coordinates': [[-79.4, 43.6]]}", "=cmd()", "R1"]),
    st.text(max_size=12),
)


def state(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one(),
                conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one())


def check(engine: Engine, vocabulary: Vocabulary, data: bytes, name: str, mapping: Mapping | None = None) -> None:
    """Either a refusal that wrote nothing, or a report matching exactly what was written."""
    batches, records = state(engine)
    try:
        report = import_bytes(engine, data, name, vocabulary, mapping=mapping)
    except OcopsError:
        assert state(engine) == (batches, records)
        return
    assert report.imported + report.updated + report.unchanged + report.rejected == report.rows_read
    assert state(engine) == (batches + (report.batch_id is not None), records + report.imported)


@FUZZ
@given(data=st.binary(max_size=600), name=NAMES)
def test_arbitrary_bytes_raise_only_ocops_errors(engine: Engine, vocabulary: Vocabulary, data: bytes, name: str) -> None:
    check(engine, vocabulary, data, name)


@FUZZ
@given(
    headers=st.lists(HEADERS, min_size=1, max_size=8),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=9), min_size=0, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quoted=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
    constants=st.booleans(),
)
def test_arbitrary_csv_shapes_raise_only_ocops_errors(
    engine: Engine, vocabulary: Vocabulary, headers: list[str], rows: list[list[str]], delimiter: str,
    encoding: str, quoted: bool, newline: str, constants: bool,
) -> None:
    if quoted:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
        writer.writerow(headers)
        writer.writerows(rows)
        text = out.getvalue()
    else:
        text = newline.join(delimiter.join(r) for r in [headers, *rows]) + newline
    data = text.encode(encoding, errors="replace")
    mapping = Mapping(constants={"operation": "Fuzz", "country": "BRA", "crime_area": "drugs"}) if constants else None
    check(engine, vocabulary, data, "fuzz.csv", mapping)
