"""Real public Toronto files (format fixtures only, never operation results) import with the
mappings kept in tests/mappings; row counts and sums are computed here with the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.engine import Engine

from ocops import queries
from ocops.importer import Vocabulary, import_path
from ocops.ingest.mapping import Mapping

from tests.conftest import REALDATA, require
MAPPINGS = Path(__file__).resolve().parent / "mappings"


def source_rows(name: str) -> list[dict[str, str]]:
    with (REALDATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def imported(engine: Engine, vocabulary: Vocabulary, name: str) -> tuple[object, dict[str, object]]:
    require((REALDATA / f"{name}.csv").exists(), f"{REALDATA} is not available here")
    report = import_path(engine, REALDATA / f"{name}.csv", vocabulary,
                         mapping=Mapping.from_file(MAPPINGS / f"{name}.json"))
    totals = queries.summary(queries.load_frame(engine), queries.Filter(), None)["totals"]  # type: ignore[arg-type]
    return report, totals


def test_arrests_file_keeps_rows_that_differ_only_in_sex_and_age(engine: Engine, vocabulary: Vocabulary) -> None:
    rows = source_rows("toronto_arrested_charged_persons")
    report, totals = imported(engine, vocabulary, "toronto_arrested_charged_persons")
    assert (report.rows_read, report.imported, report.rejected) == (len(rows), len(rows), 0)  # type: ignore[attr-defined]
    assert totals["records"] == len(rows) == 32000
    assert totals["arrests"] == sum(int(r["ARREST_COUNT"]) for r in rows)
    assert (totals["operations"], totals["countries"]) == (1, 1)
    assert report.ignored_columns == ["_id", "DIVISION", "HOOD_158", "NEIGHBOURHOOD_158", "SEX",  # type: ignore[attr-defined]
                                      "AGE_COHORT", "AGE_GROUP", "SUBTYPE"]
    years = sorted({r["ARREST_YEAR"] for r in rows})
    flt = queries.Filter(since=queries.dt.date(int(years[0]), 1, 1), until=queries.dt.date(int(years[0]), 12, 31))
    first_year = queries.summary(queries.load_frame(engine), flt, None)["totals"]  # type: ignore[arg-type]
    assert first_year["arrests"] == sum(int(r["ARREST_COUNT"]) for r in rows if r["ARREST_YEAR"] == years[0])


def test_victims_file_quoted_numbers_and_year_periods(engine: Engine, vocabulary: Vocabulary) -> None:
    rows = source_rows("toronto_victims_of_crime")
    report, totals = imported(engine, vocabulary, "toronto_victims_of_crime")
    assert (report.imported, report.rejected) == (len(rows), 0) == (1244, 0)  # type: ignore[attr-defined]
    assert totals["victims_rescued"] == sum(int(r["COUNT_"]) for r in rows)


def test_shootings_file_takes_coordinates_from_geometry(engine: Engine, vocabulary: Vocabulary) -> None:
    rows = source_rows("toronto_shootings_firearm_discharges")
    report, totals = imported(engine, vocabulary, "toronto_shootings_firearm_discharges")
    assert (report.imported, report.rejected) == (len(rows), 0) == (6295, 0)  # type: ignore[attr-defined]
    assert (totals["records"], totals["arrests"], totals["seizures"]) == (6295, 0, 0)
    frame = queries.records(engine, queries.Filter(), None, columns=("record_id", "latitude", "longitude"))  # type: ignore[arg-type]
    near_zero = sum("e-1" in r["geometry"] for r in rows)
    assert int(frame["latitude"].isna().sum()) == near_zero == 62
    located = frame.dropna(subset=["latitude"])
    assert located["latitude"].between(43.5, 44.0).all() and located["longitude"].between(-79.7, -79.0).all()
