"""Row-level problems (CONTRACT.md section 5), --all-or-nothing, dry runs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.cli import main
from ocops.importer import Vocabulary, import_bytes
from ocops.store import data_version

DATE_HELP = "use YYYY-MM-DD, DD/MM/YYYY, DD.MM.YYYY, '5 July 2018', a year or a month"
HEADER = "operation,date,end_date,country,crime_area,arrests,seizures,victims_rescued,latitude,longitude,seized_quantity,seized_unit,internal_ref\n"
FILE = HEADER + (
    "Op A,2019-03-01,,Brazil,drugs,2,1,0,,,,,r1\n"                    # 1 ok
    ",2019-03-01,,Brazil,drugs,1,0,0,,,,,r2\n"                        # 2 missing operation
    "Op A,2019-03-01,,Atlantis,drugs,1,0,0,,,,,r3\n"                  # 3 unknown country
    "Op A,2019-03-01,,Germny,drugs,1,0,0,,,,,r4\n"                    # 4 close country
    "Op A,2019-03-01,,Brazil,basket weaving,1,0,0,,,,,r5\n"           # 5 unknown crime area
    "Op A,2019-02-30,,Brazil,drugs,1,0,0,,,,,r6\n"                    # 6 bad date
    "Op A,2019-03-01,,Brazil,drugs,-4,0,0,,,,,r7\n"                   # 7 negative count
    "Op A,2019-03-01,,Brazil,drugs,many,0,0,,,,,r8\n"                 # 8 non-numeric count
    "Op A,2019-03-01,,Brazil,drugs,1,0,0,91.5,10,,,r9\n"              # 9 latitude out of range
    "Op A,2019-03-05,2019-03-01,Brazil,drugs,1,0,0,,,,,r10\n"         # 10 end before date
    "Op A,2019-03-01,,Brazil,drugs,1,0,0,,,12.5,,r11\n"               # 11 quantity without unit
    "Op A,2019-03-01,,Brazil,drugs,2,1,0,,,,,r1\n"                    # 12 same as row 1: kept (duplicates "keep")
    "\"Op\nB\",2019,,,,3,0,0,,,,,r13\n"                               # 13 multi-line operation; country, area missing
    "Op A,2019-07,,CIV,THB,4,0,3,-1.5,36.8,500,g,r14\n"              # 14 ok (month period, lat/lon)
)
EXPECTED_ERRORS = [
    {"row": 2, "column": "operation", "value": "", "message": "operation is required but empty"},
    {"row": 3, "column": "country", "value": "Atlantis", "message": "unknown country 'Atlantis'"},
    {"row": 4, "column": "country", "value": "Germny", "message": "unknown country 'Germny' (did you mean Germany?)"},
    {"row": 5, "column": "crime_area", "value": "basket weaving",
     "message": "unknown crime area 'basket weaving' (closest: Other, Illicit goods and counterfeiting, Cybercrime): "
                "map it to one of the crime areas with a value mapping"},
    {"row": 6, "column": "date", "value": "2019-02-30", "message": f"'2019-02-30' is not a date: {DATE_HELP}"},
    {"row": 7, "column": "arrests", "value": "-4", "message": "arrests '-4' is negative: it must be 0 or more"},
    {"row": 8, "column": "arrests", "value": "many", "message": "arrests 'many' is not a number"},
    {"row": 9, "column": "latitude", "value": "91.5",
     "message": "latitude '91.5' is out of range: it must be between -90 and 90"},
    {"row": 10, "column": "end_date", "value": "2019-03-01", "message": "end_date is before date"},
    {"row": 11, "column": "seized_unit", "value": "12.5",
     "message": "seized_quantity has no seized_unit: use kg, g, t, lb, l, ml or items"},
    {"row": 13, "column": "country", "value": "", "message": "country is required but empty"},
    {"row": 13, "column": "crime_area", "value": "", "message": "crime_area is required but empty"},
]


def counts(engine: Engine) -> tuple[int, int, int]:
    """(batches, records, data version)."""
    with engine.connect() as conn:
        batches = conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one()
        records = conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one()
    return batches, records, data_version(engine)


def test_every_row_level_problem_is_reported_and_the_valid_rows_imported(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ops.csv"
    path.write_text(FILE, encoding="utf-8")
    assert main(["--db", store_url, "import", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == EXPECTED_ERRORS
    assert (report["rows_read"], report["imported"], report["rejected"]) == (14, 3, 11)
    assert report["ignored_columns"] == ["internal_ref"]
    assert report["batch_id"] == 1
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT operation, date, end_date, country, crime_area, arrests, victims_rescued, latitude, longitude, "
            "q.quantity, q.unit, q.kind, q.amount FROM records r LEFT JOIN quantities q ON q.version = r.version "
            "ORDER BY arrests")).all()
    assert [tuple(str(v) if v is not None else None for v in row) for row in rows] == [
        ("Op A", "2019-03-01", None, "BRA", "Drug trafficking", "2", "0", None, None, None, None, None, None),
        ("Op A", "2019-03-01", None, "BRA", "Drug trafficking", "2", "0", None, None, None, None, None, None),
        ("Op A", "2019-07-01", "2019-07-31", "CIV", "Trafficking in human beings", "4", "3", "-1.5", "36.8",
         "500.0", "g", "kg", "0.5"),
    ]


def test_all_or_nothing_writes_nothing_and_records_no_batch(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ops.csv"
    path.write_text(FILE, encoding="utf-8")
    before = counts(engine)
    assert main(["--db", store_url, "import", str(path), "--all-or-nothing"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["batch_id"], report["imported"], report["rejected"], len(report["errors"])) == (None, 0, 11, 12)
    assert counts(engine) == before == (0, 0, before[2])


def test_all_or_nothing_imports_a_clean_file(engine: Engine, vocabulary: Vocabulary) -> None:
    clean = HEADER + "Op A,2019-03-01,,Brazil,drugs,2,1,0,,,,,r1\n"
    report = import_bytes(engine, clean.encode(), "ok.csv", vocabulary, all_or_nothing=True)
    assert (report.batch_id, report.imported, report.exit_code) == (1, 1, 0)


def test_dry_run_writes_nothing_not_even_a_batch(
    engine: Engine, vocabulary: Vocabulary, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = HEADER + "Op A,2019-03-01,,Brazil,drugs,2,1,0,,,,,r1\nOp A,2019-03-02,,Chile,drugs,1,0,0,,,,,r2\n"
    import_bytes(engine, first.encode(), "first.csv", vocabulary)
    before = counts(engine)
    second = (HEADER + "Op A,2019-03-01,,Brazil,drugs,2,1,0,,,,,r1\n"   # unchanged
              "Op A,2019-03-02,,Chile,drugs,1,0,0,,,,,r2\n"              # unchanged
              "Op A,2019-03-03,,Peru,drugs,1,0,0,,,,,r3\n"               # new
              "Op A,2019-03-03,,Atlantis,drugs,1,0,0,,,,,r4\n")          # rejected
    report = import_bytes(engine, second.encode(), "second.csv", vocabulary, dry_run=True)
    assert (report.batch_id, report.imported, report.updated, report.unchanged, report.rejected) == (None, 1, 0, 2, 1)
    assert report.dry_run is True
    assert report.errors[0].message == "unknown country 'Atlantis'"
    assert counts(engine) == before
    path = tmp_path / "third.csv"
    path.write_text(HEADER + "Op A,2019-03-01,,Brazil,drugs,5,1,0,,,,,r1\n", encoding="utf-8")
    assert main(["--db", store_url, "import", str(path), "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["batch_id"], out["imported"], out["updated"], out["updated_from_batches"]) == (None, 0, 1, [1])
    assert counts(engine) == before


@pytest.mark.parametrize(("flag", "expected"), [
    ([], ["2019-03-04", "2019-03-25"]),            # the file's dominant order is day-first (25/03)
    (["--dayfirst"], ["2019-03-04", "2019-03-25"]),
    (["--monthfirst"], ["2019-03-25", "2019-04-03"]),  # only ambiguous dates follow the flag
])
def test_ambiguous_slash_dates_follow_the_file_or_the_flag(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    flag: list[str], expected: list[str]
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("operation,date,country,crime_area\nA,04/03/2019,BRA,drugs\nB,25/03/2019,BRA,drugs\n",
                    encoding="utf-8")
    main(["--db", store_url, "import", str(path), *flag])
    capsys.readouterr()
    with engine.connect() as conn:
        days = [str(d) for (d,) in conn.execute(sa.text("SELECT date FROM records ORDER BY date"))]
    assert days == expected


def test_month_first_file_is_detected(engine: Engine, vocabulary: Vocabulary) -> None:
    data = "operation,date,country,crime_area\nA,04/03/2019,BRA,drugs\nB,12/25/2019,BRA,drugs\n"
    report = import_bytes(engine, data.encode(), "us.csv", vocabulary)
    assert report.detected["dayfirst"] is False
    with engine.connect() as conn:
        days = [str(d) for (d,) in conn.execute(sa.text("SELECT date FROM records ORDER BY date"))]
    assert days == ["2019-04-03", "2019-12-25"]
