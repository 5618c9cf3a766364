"""`python -m ocops` (CONTRACT.md section 6): JSON, exit codes and plain one-line errors.

Expected figures are the hand-computed ones of test_queries.py (fixture
tests/fixtures/core_operations.csv); most commands run in-process through
``ocops.cli.main`` (fast), the error paths also as a real subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from ocops import cli, queries
from ocops.geo import CountryIndex
from ocops.store import open_store
from ocops.taxonomy import Taxonomy
from test_queries import ALL, BY_REGION, FILTER_CASES, GROUPS, ZERO, assert_groups, assert_measures

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
OPERATIONS = FIXTURES / "core_operations.csv"
TRICKY = FIXTURES / "core_export.csv"
REPORT_KEYS = ["batch_id", "file", "rows_read", "imported", "updated", "unchanged", "rejected", "errors",
               "ignored_columns"]
FLAGS = {"regions": "--region", "country_values": "--country", "crime_areas": "--crime-area",
         "operations": "--operation", "since": "--since", "until": "--until"}


def run(capsys: pytest.CaptureFixture[str], store_url: str, *args: str) -> tuple[int, Any, str]:
    """ocops in-process: (exit code, parsed stdout, stderr)."""
    code = cli.main(["--db", store_url, *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def run_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """ocops as users run it."""
    environment = {k: v for k, v in os.environ.items() if k != "OCOPS_DATABASE_URL"}
    environment.update({"PYTHONPATH": str(PROJECT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "ocops", *args], capture_output=True, text=True,
                          cwd=PROJECT, env=environment, timeout=120, check=False)


def assert_plain_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    """Exit 2, {"error": ...} on stdout, one clear line on stderr, no traceback."""
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout) == {"error": result.stderr.removeprefix("error: ").rstrip("\n")}
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout


def flags(words: dict[str, Any]) -> list[str]:
    """make_filter keyword arguments as CLI flags."""
    argv: list[str] = []
    for name, value in words.items():
        for item in [value] if isinstance(value, str) else value:
            argv += [FLAGS[name], item]
    return argv


@pytest.fixture
def loaded_url(store_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """A store with the hand-checked fixture imported through the CLI."""
    code, report, _ = run(capsys, store_url, "import", str(OPERATIONS))
    assert code == 0 and report["imported"] == 18
    return store_url


def test_import_prints_the_contract_report(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = run(capsys, store_url, "import", str(OPERATIONS))
    assert code == 0 and err == ""
    assert list(report)[:len(REPORT_KEYS)] == REPORT_KEYS
    assert {k: report[k] for k in REPORT_KEYS} == {
        "batch_id": 1, "file": "core_operations.csv", "rows_read": 18, "imported": 18, "updated": 0,
        "unchanged": 0, "rejected": 0, "errors": [], "ignored_columns": []}
    code, again, _ = run(capsys, store_url, "import", str(OPERATIONS))
    assert code == 0
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 18)


def test_import_with_a_bad_row_exits_1(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "partly.csv"
    path.write_text(
        "operation,date,country,crime_area,arrests,internal_ref\n"
        "Operation Andes,2018-12-03,Colombia,People smuggling,4,A1\n"
        "Operation Andes,2018-12-04,Atlantis,People smuggling,2,A2\n", encoding="utf-8")
    code, report, _ = run(capsys, store_url, "import", "--all-or-nothing", str(path))
    assert code == 1
    assert (report["batch_id"], report["imported"], report["rejected"]) == (None, 0, 1)
    assert run(capsys, store_url, "summary")[1]["totals"]["records"] == 0

    code, report, _ = run(capsys, store_url, "import", str(path))
    assert code == 1
    assert (report["rows_read"], report["imported"], report["rejected"]) == (2, 1, 1)
    assert report["ignored_columns"] == ["internal_ref"]
    [error] = report["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "country", "Atlantis")
    assert "Atlantis" in error["message"]
    totals = run(capsys, store_url, "summary")[1]["totals"]
    assert (totals["records"], totals["arrests"]) == (1, 4)


@pytest.mark.parametrize("content, fragment", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03 binary \xff\xfe\x00 not a table", "binary"),
    (b"colour,shape\nred,round\n", "operation"),
])
def test_unusable_file_exits_2(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    db = f"sqlite:///{tmp_path / 'ocops.db'}"
    result = run_process("--db", db, "import", str(path))
    assert_plain_error(result, fragment)
    summary = run_process("--db", db, "summary")
    assert json.loads(summary.stdout)["totals"]["records"] == 0


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_process("--db", f"sqlite:///{tmp_path / 'ocops.db'}", "import", str(tmp_path / "nowhere.csv"))
    assert_plain_error(result, "nowhere.csv")


def test_summary_without_filters(loaded_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(capsys, loaded_url, "summary")
    assert code == 0
    assert result["filters"] == {} and "groups" not in result
    assert_measures(result["totals"], ALL)


@pytest.mark.parametrize("by", sorted(GROUPS))
def test_summary_by(loaded_url: str, capsys: pytest.CaptureFixture[str], by: str) -> None:
    code, result, _ = run(capsys, loaded_url, "summary", "--by", by)
    assert code == 0
    assert_groups(result["groups"], GROUPS[by], by)
    assert_measures(result["totals"], ALL)


def test_summary_every_filter_flag(loaded_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for label, (words, expected) in FILTER_CASES.items():
        code, result, _ = run(capsys, loaded_url, "summary", *flags(words))
        assert code == 0, label
        assert_measures(result["totals"], expected, label)


def test_summary_echoes_filters_as_the_contract_shows(loaded_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(capsys, loaded_url, "summary", "--region", "africa", "--country", "Nigeria",
                          "--crime-area", "human trafficking", "--operation", "Operation Libertad",
                          "--since", "2018-01-01", "--until", "2018-12-31", "--by", "country")
    assert code == 0
    assert result["filters"] == {"region": ["Africa"], "country": ["NGA"], "crime_area": ["Trafficking in human beings"],
                                 "operation": ["Operation Libertad"], "since": "2018-01-01", "until": "2018-12-31"}
    # row 14 only
    expected = {"records": 1, "operations": 1, "countries": 1, "arrests": 6, "seizures": 0, "victims_rescued": 22,
                "seized_value_usd": 0.0, "seized_kg": 0.0, "seized_l": 0.0, "seized_items": 0}
    assert result["totals"] == expected
    assert result["groups"] == [{"key": "NGA", **expected}]


def test_summary_on_a_new_store_prints_zero_totals(tmp_path: Path) -> None:
    db = tmp_path / "not" / "yet" / "ocops.db"
    result = run_process("--db", f"sqlite:///{db}", "summary", "--by", "region")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output == {"filters": {}, "totals": ZERO, "groups": []}
    assert db.is_file()


def test_summary_on_a_new_postgres_store_prints_zero_totals(store_url: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(capsys, store_url, "summary")
    assert code == 0
    assert result == {"filters": {}, "totals": ZERO}


def _exported(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> str:
    assert cli.main(["--db", url, "export", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_export_json_keeps_every_text_verbatim(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, store_url, "import", str(TRICKY))[0] == 0
    rows = {row["record_id"]: row for row in json.loads(_exported(capsys, store_url, "--format", "json"))}
    assert set(rows) == {"EXP-1", "EXP-2", "EXP-3"}
    first, second, third = rows["EXP-1"], rows["EXP-2"], rows["EXP-3"]
    assert first["notes"] == '=HYPERLINK("x")'
    assert first["lead_agency"] == "+Policía Nacional" and first["source"] == "@interpol"
    assert (first["city"], first["latitude"], first["longitude"]) == ("Bogotá", 4.711, -74.07)
    assert second["lead_agency"] == "-DIRCOTE"
    assert second["source"] == 'He said "stop", then left'
    assert third["country"] == "CIV" and third["country_name"] == "Côte d'Ivoire"
    assert third["lead_agency"] == "Police — Unité 1" and third["source"] == "東京 source ✓"
    assert third["seized_item"] == "médicaments"
    assert (third["seized_quantity"], third["seized_unit"], third["seized_value_usd"]) == (12, "items", 99.5)
    assert (third["region"], third["batch_id"], third["date"], third["end_date"]) == ("Africa", 1, "2018-10-09", None)


def test_export_json_keeps_a_newline_in_notes(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, store_url, "import", str(TRICKY))[0] == 0
    rows = {row["record_id"]: row for row in json.loads(_exported(capsys, store_url))}
    assert rows["EXP-2"]["notes"] == "line one\nline two"


def test_export_csv_neutralises_formulas_and_keeps_numbers(store_url: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, store_url, "import", str(TRICKY))[0] == 0
    text = _exported(capsys, store_url, "--format", "csv")
    rows = {row["record_id"]: row for row in csv.DictReader(io.StringIO(text))}
    first, second = rows["EXP-1"], rows["EXP-2"]
    assert first["notes"] == "'=HYPERLINK(\"x\")"
    assert first["lead_agency"] == "'+Policía Nacional" and first["source"] == "'@interpol"
    assert second["lead_agency"] == "'-DIRCOTE"
    assert second["source"] == 'He said "stop", then left'
    assert (first["latitude"], first["longitude"]) == ("4.711", "-74.07")  # numbers stay numbers
    assert (second["latitude"], second["longitude"]) == ("-12.046", "-77.043")
    assert (first["arrests"], first["region"], first["batch_id"]) == ("1", "Americas", "1")
    assert rows["EXP-3"]["seized_value_usd"] == "99.5"
    assert ",-74.07," in text and "'-74.07" not in text


def test_export_out_file_and_filters(loaded_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "africa.json"
    assert cli.main(["--db", loaded_url, "export", "--region", "Africa", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(r["record_id"] for r in rows) == ["CORE-09", "CORE-10", "CORE-12", "CORE-13", "CORE-14"]
    assert list(rows[0]) == [*queries.EXPORT_COLUMNS, "quantities"]
    csv_out = tmp_path / "africa.csv"
    assert cli.main(["--db", loaded_url, "export", "--region", "Africa", "--format", "csv",
                     "--out", str(csv_out)]) == 0
    with csv_out.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 5
    code = cli.main(["--db", loaded_url, "export", "--out", str(tmp_path / "missing" / "dir" / "x.json")])
    out_text, err = capsys.readouterr()
    assert code == 2 and "Cannot write" in json.loads(out_text)["error"] and err.count("\n") == 1


def test_batches_and_remove_batch_restore_the_previous_figures(loaded_url: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    update = tmp_path / "update.csv"
    lines = OPERATIONS.read_text(encoding="utf-8").splitlines()
    # CORE-13 (Sudan, 0 arrests) now reports 5 arrests; CORE-19 is new (Kenya, 3 arrests)
    header, row13 = lines[0], next(line for line in lines if line.startswith("CORE-13,"))
    changed = row13.replace(",human trafficking,0,0,100,", ",human trafficking,5,0,100,")
    assert changed != row13
    update.write_text("\n".join([header, changed,
                                 "CORE-19,Operation Thunder,2019-03-02,,Kenya,,,,Environmental crime,3,0,0,,,,,,,"])
                      + "\n", encoding="utf-8")
    code, report, _ = run(capsys, loaded_url, "import", str(update))
    assert code == 0
    assert (report["batch_id"], report["imported"], report["updated"]) == (2, 1, 1)
    assert report["updated_from_batches"] == [1]
    totals = run(capsys, loaded_url, "summary")[1]["totals"]
    assert (totals["records"], totals["arrests"]) == (19, 91)

    code, batches, _ = run(capsys, loaded_url, "batches")
    assert code == 0
    # newest first; CORE-13 now belongs to batch 2, so batch 1 holds 17 records
    assert [(b["batch_id"], b["filename"], b["imported"], b["updated"], b["current_records"]) for b in batches] == [
        (2, "update.csv", 1, 1, 2), (1, "core_operations.csv", 18, 0, 17)]
    assert len(batches[0]["sha256"]) == 64 and batches[0]["created_at"]

    code, removal, _ = run(capsys, loaded_url, "remove-batch", "2")
    assert code == 0
    assert removal == {"batch_id": 2, "file": "update.csv", "removed": 1, "restored": 1}
    code, result, _ = run(capsys, loaded_url, "summary", "--by", "region")
    assert_measures(result["totals"], ALL)
    assert_groups(result["groups"], BY_REGION)
    listed = run(capsys, loaded_url, "batches")[1]  # a removed batch stays listed, struck out
    assert [(b["batch_id"], b["current_records"], b["removed_by"] is not None, b["removed_at"] is not None)
            for b in listed] == [(2, 0, True, True), (1, 18, False, False)]
    code, output, err = run(capsys, loaded_url, "remove-batch", "2")
    assert code == 2 and err == "error: " + output["error"] + "\n"
    assert re.fullmatch(r"Batch 2 \(update\.csv\) was already removed on \d{4}-\d\d-\d\d \d\d:\d\d UTC by "
                        + re.escape(listed[0]["removed_by"]) + r": nothing to undo\. List the batches with "
                        r"`python -m ocops batches`\.", output["error"])

    assert run(capsys, loaded_url, "remove-batch", "1")[0] == 0
    assert run(capsys, loaded_url, "summary")[1]["totals"] == ZERO


def test_remove_unknown_batch_exits_2(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, output, err = run(capsys, store_url, "remove-batch", "999")
    assert code == 2
    assert output == {"error": "There is no batch 999: list the batches with `python -m ocops batches`."}
    assert err == "error: " + output["error"] + "\n"


@pytest.mark.parametrize("args, fragment", [
    (["summary", "--country", "Atlantis"], "Unknown country 'Atlantis'"),
    (["export", "--country", "Atlantis"], "Unknown country 'Atlantis'"),
    (["summary", "--region", "Narnia"], "Unknown region 'Narnia'"),
    (["summary", "--crime-area", "jaywalking"], "Unknown crime area 'jaywalking'"),
    (["summary", "--since", "yesterday"], "--since 'yesterday' is not a date"),
])
def test_bad_filters_exit_2(store_url: str, capsys: pytest.CaptureFixture[str], args: list[str],
                            fragment: str) -> None:
    code, output, err = run(capsys, store_url, *args)
    assert code == 2
    assert fragment in output["error"]
    assert err.startswith("error: ") and err.count("\n") == 1


def test_unknown_country_as_a_real_process(tmp_path: Path) -> None:
    result = run_process("--db", f"sqlite:///{tmp_path / 'ocops.db'}", "summary", "--country", "Atlantis")
    assert_plain_error(result, "Unknown country 'Atlantis'")


@pytest.mark.parametrize("url, fragment", [
    ("mysql://x", "Unsupported database URL"),
    ("postgresql://nobody@127.0.0.1:1/x", "Cannot open the store"),
])
def test_bad_database_url_exits_2(url: str, fragment: str) -> None:
    result = run_process("--db", url, "summary")
    assert_plain_error(result, fragment)


def test_database_url_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = run_process("summary", env={"OCOPS_DATABASE_URL": f"sqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"] == ZERO
    assert db.is_file()
    bad = run_process("--db", f"sqlite:///{db}", "summary", env={"OCOPS_DATABASE_URL": "mysql://x"})
    assert bad.returncode == 0, "--db wins over OCOPS_DATABASE_URL"


def test_cli_and_app_agree(loaded_url: str, capsys: pytest.CaptureFixture[str], countries: CountryIndex,
                           taxonomy: Taxonomy) -> None:
    """The app's whole-frame path gives exactly the CLI's JSON."""
    engine: Engine = open_store(loaded_url)
    try:
        whole = queries.load_frame(engine)
        cases = ["one region", "two regions", "country by ISO2", "crime area alias", "since and until inclusive",
                 "region + operation + until", "nothing matches"]
        for label in cases:
            words = FILTER_CASES[label][0]
            flt = queries.make_filter(countries, taxonomy, **words)
            for by in (None, "region", "month"):
                app = json.loads(json.dumps(queries.summary(whole, flt, countries, by=by)))
                by_flag = ["--by", by] if by else []
                code, from_cli, _ = run(capsys, loaded_url, "summary", *flags(words), *by_flag)
                assert code == 0
                assert from_cli == app, (label, by)
    finally:
        engine.dispose()
