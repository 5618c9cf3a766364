"""Public-statistics shapes through the command line (CONTRACT.md sections 2, 5 and 6), on SQLite and PostgreSQL.

Every figure is added up by hand from the fixture files in tests/fixtures/public/:

- title_rows.xlsx (built below): 3 title/blank rows, then Peru 4 + 3 (Chile) + 5 arrests, seizures 2 + 1 + 0.
- long_format.csv: kept rows PER arrests 10, seizures 4, arms 25; COL arrests 20, arms 40 (2020). Male/Female
  rows (2) and the "By type" row (1) are left out by ``where``, "Persons prosecuted" (1) by ``measures``;
  CAR (a regional code in an ISO3 column) is rejected. Arrests 30, seizures 4, items 65.
- fiscal_year.csv: October fiscal years: FY2020 OCT = 2019-10 (3 arrests), NOV = 2019-11 (2), SEP = 2020-09 (4),
  FY2021 OCT = 2020-10 (1). Calendar 2020: arrests 5, seizures 2; calendar 2019: arrests 5, seizures 3.
- line_items.csv: three identical 1-firearm lines and 500 rounds in Brazil (503 items), two Atlantis lines rejected.
- date_beside_year.csv: the Date column wins over Year: March 2019 has 2 arrests, November 3.
- bare_value.csv: "Value" is not money: seized value 0; mapped to arrests, 150 + 70 = 220.
- code_column.csv: PER 3 + KEN 4 = 7 victims; WLD (aggregate), CAR (not a code) and "Peru" (a name) rejected.
- un_names.csv: UN forms 1 + 2 + 4 + 8 + 16 = 31 arrests in 5 countries; World rejected, Various skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ocops import cli

PUBLIC = Path(__file__).parent / "fixtures" / "public"


def run(capsys: pytest.CaptureFixture[str], store_url: str, *args: str) -> tuple[int, Any]:
    """ocops in-process: (exit code, parsed stdout)."""
    code = cli.main(["--db", store_url, *args])
    return code, json.loads(capsys.readouterr().out)


def title_rows_workbook(path: Path) -> Path:
    """A workbook with a title, a source line and a blank row above the header (row 4)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Operation results 2023"])
    sheet.append(["Source: Ministry of the Interior, published 15 January 2024"])
    sheet.append([])
    sheet.append(["Operation", "Date of seizure", "Country", "Crime type", "Number of persons arrested", "Seizures"])
    sheet.append(["Op Coast", "2023-03-05", "Peru", "drugs", 4, 2])
    sheet.append(["Op Coast", "2023-03-06", "Chile", "drugs", 3, 1])
    sheet.append(["Op Reef", "2023-04-01", "Peru", "wildlife", 5, 0])
    book.save(path)
    return path


def import_twice(capsys: pytest.CaptureFixture[str], store_url: str, path: Path, *options: str) -> dict[str, Any]:
    """Import a file, then again: the second import changes nothing. Returns the first report."""
    code, first = run(capsys, store_url, "import", str(path), *options)
    assert code == (1 if first["rejected"] else 0)
    _code, second = run(capsys, store_url, "import", str(path), *options)
    assert (second["imported"], second["updated"], second["unchanged"]) == (0, 0, first["imported"])
    return first


def write_case(tmp_path: Path, text: str, mapping: str) -> tuple[Path, str, str]:
    """A file and its mapping written to ``tmp_path``: (file, "--mapping", mapping file)."""
    path, mapping_path = tmp_path / "case.csv", tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    mapping_path.write_text(mapping, encoding="utf-8")
    return path, "--mapping", str(mapping_path)


def totals(capsys: pytest.CaptureFixture[str], store_url: str, *filters: str) -> dict[str, Any]:
    return run(capsys, store_url, "summary", *filters)[1]["totals"]


def test_title_rows_above_the_header_are_skipped(capsys: pytest.CaptureFixture[str], store_url: str,
                                                 tmp_path: Path) -> None:
    report = import_twice(capsys, store_url, title_rows_workbook(tmp_path / "results.xlsx"))
    assert (report["header_row"], report["rows_read"], report["imported"], report["rejected"]) == (4, 3, 3, 0)
    assert report["columns"]["date"] == {"from": "Date of seizure", "how": "words"}
    assert report["columns"]["arrests"] == {"from": "Number of persons arrested", "how": "words"}
    figures = totals(capsys, store_url)
    assert (figures["records"], figures["countries"], figures["arrests"], figures["seizures"]) == (3, 2, 12, 3)


def test_header_row_forces_the_header(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    case = write_case(tmp_path, "Operation,Date,Country,Crime area,Arrests\nnote,x,y,z,1\n"
                      "Operation,Date,Country,Crime area,Arrests\nOp,2020-01-01,Peru,drugs,6\n", '{"header_row": 3}')
    report = import_twice(capsys, store_url, *case)
    assert (report["header_row"], report["rows_read"], report["imported"]) == (3, 1, 1)
    assert totals(capsys, store_url)["arrests"] == 6


def test_long_format_routes_each_indicator_to_its_field(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    report = import_twice(capsys, store_url, PUBLIC / "long_format.csv", "--mapping", str(PUBLIC / "long_format.json"))
    assert (report["rows_read"], report["imported"], report["rejected"], report["skipped"]) == (10, 5, 1, 4)
    assert report["skipped_by"] == {"where Dimension": 1, "where Sex": 2,
                                    "Indicator 'Persons prosecuted' not in measures": 1}
    assert report["errors"] == [{"row": 10, "column": "country", "value": "CAR",
                                 "message": "'CAR' is not an ISO 3166 country code: the column Iso3_code holds "
                                            "codes, and regional or aggregate codes are not countries"}]
    assert report["columns"]["arrests"] == {"from": "VALUE", "how": "measures"}
    assert report["columns"]["seized_item"] == {"from": "Indicator", "how": "measures"}
    assert report["columns"]["country"] == {"from": "Iso3_code", "how": "mapping"}
    figures = totals(capsys, store_url)
    assert (figures["records"], figures["countries"], figures["arrests"], figures["seizures"],
            figures["seized_items"], figures["seized_value_usd"]) == (5, 2, 30, 4, 65, 0.0)
    assert totals(capsys, store_url, "--country", "Peru")["arrests"] == 10


def test_long_format_with_duplicates_sum_makes_one_record_per_country_and_year(
        capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path) -> None:
    data = json.loads((PUBLIC / "long_format.json").read_text(encoding="utf-8"))
    mapping = tmp_path / "sum.json"
    mapping.write_text(json.dumps({**data, "duplicates": "sum"}), encoding="utf-8")
    report = import_twice(capsys, store_url, PUBLIC / "long_format.csv", "--mapping", str(mapping))
    # Peru 2019's arrests and seizure cases are one record; the arms rows differ (seized_item).
    assert (report["imported"], report["skipped"]) == (4, 5)
    assert report["skipped_by"]["duplicates summed into an earlier row"] == 1
    figures = totals(capsys, store_url)
    assert (figures["records"], figures["arrests"], figures["seizures"], figures["seized_items"]) == (4, 30, 4, 65)


def test_fiscal_years_with_month_abbreviations(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    report = import_twice(capsys, store_url, PUBLIC / "fiscal_year.csv", "--mapping", str(PUBLIC / "fiscal_year.json"))
    assert (report["imported"], report["columns"]["date"]) == (4, {"from": "FY + Month", "how": "mapping"})
    in_2020 = totals(capsys, store_url, "--since", "2020-01-01", "--until", "2020-12-31")
    in_2019 = totals(capsys, store_url, "--since", "2019-01-01", "--until", "2019-12-31")
    assert (in_2020["records"], in_2020["arrests"], in_2020["seizures"]) == (2, 5, 2)
    assert (in_2019["records"], in_2019["arrests"], in_2019["seizures"]) == (2, 5, 3)
    months = run(capsys, store_url, "summary", "--by", "month")[1]["groups"]
    assert [(g["key"], g["arrests"]) for g in months] == [("2019-10", 3), ("2019-11", 2), ("2020-09", 4),
                                                          ("2020-10", 1)]


def test_a_fiscal_year_alone_is_the_whole_fiscal_year(capsys: pytest.CaptureFixture[str], store_url: str,
                                                      tmp_path: Path) -> None:
    case = write_case(tmp_path, "Year,Operation,Country,Crime area,Arrests\n2020,Op,USA,drugs,7\n"
                      "2009-2015,Op,USA,drugs,1\n", '{"fiscal_year_start": 10}')
    import_twice(capsys, store_url, *case)
    assert totals(capsys, store_url, "--since", "2019-10-01", "--until", "2019-10-01")["arrests"] == 7
    assert totals(capsys, store_url, "--since", "2008-10-01", "--until", "2008-10-01")["arrests"] == 1
    rows = run(capsys, store_url, "export")[1]
    assert sorted((r["date"], r["end_date"]) for r in rows) == [("2008-10-01", "2015-09-30"),
                                                                ("2019-10-01", "2020-09-30")]


@pytest.mark.parametrize(("rule", "imported", "rejected", "skipped", "records"), [
    ("keep", 4, 2, 0, 4), ("reject", 2, 4, 0, 2), ("sum", 2, 2, 2, 2),
])
def test_repeated_line_items(capsys: pytest.CaptureFixture[str], store_url: str, tmp_path: Path, rule: str,
                             imported: int, rejected: int, skipped: int, records: int) -> None:
    mapping = tmp_path / "dup.json"
    mapping.write_text(json.dumps({"duplicates": rule}), encoding="utf-8")
    report = import_twice(capsys, store_url, PUBLIC / "line_items.csv", "--mapping", str(mapping))
    assert (report["imported"], report["rejected"], report["skipped"]) == (imported, rejected, skipped)
    messages = [(e["row"], e["message"]) for e in report["errors"]]
    expected = [(5, "unknown country 'Atlantis'"), (6, "unknown country 'Atlantis'")]
    if rule == "reject":  # rejected rows 5 and 6 never make each other duplicates
        expected = [(2, "duplicate of row 1"), (3, "duplicate of row 1"), *expected]
    assert messages == expected
    figures = totals(capsys, store_url)
    assert (figures["records"], figures["seized_items"]) == (records, 503 if rule != "reject" else 501)


def test_date_beats_year_and_bare_value_is_not_money(capsys: pytest.CaptureFixture[str], store_url: str,
                                                      tmp_path: Path) -> None:
    report = import_twice(capsys, store_url, PUBLIC / "date_beside_year.csv")
    assert report["columns"]["date"] == {"from": "Date of seizure", "how": "words", "instead_of": ["Year"]}
    assert totals(capsys, store_url, "--since", "2019-03-01", "--until", "2019-03-31")["arrests"] == 2
    report = import_twice(capsys, store_url, PUBLIC / "bare_value.csv")
    assert report["ignored_columns"] == ["Value"]
    assert "seized_value_usd" not in report["columns"]
    assert totals(capsys, store_url, "--operation", "Op Count")["seized_value_usd"] == 0.0
    mapping = tmp_path / "value.json"
    mapping.write_text('{"columns": {"Value": "arrests"}}', encoding="utf-8")
    _code, report = run(capsys, store_url, "import", str(PUBLIC / "bare_value.csv"), "--mapping", str(mapping))
    # Mapped, the column is a measure, out of the key: two new records (unmapped, it was in their key).
    assert (report["imported"], report["columns"]["arrests"]) == (2, {"from": "Value", "how": "mapping"})
    assert totals(capsys, store_url, "--operation", "Op Count")["arrests"] == 220


def test_a_code_column_takes_only_codes_and_aggregates_are_named(capsys: pytest.CaptureFixture[str],
                                                                 store_url: str) -> None:
    report = import_twice(capsys, store_url, PUBLIC / "code_column.csv")
    assert [(e["row"], e["value"], e["message"]) for e in report["errors"]] == [
        (2, "WLD", ("'WLD' is a regional aggregate or not a country: map it to a country, or skip such rows "
                    'with "values": {"country": {"WLD": null}}')),
        (3, "CAR", ("'CAR' is not an ISO 3166 country code: the column ISO3 holds codes, and regional or "
                    "aggregate codes are not countries")),
        (5, "Peru", ("'Peru' is not an ISO 3166 country code: the column ISO3 holds codes, and regional or "
                     "aggregate codes are not countries")),
    ]
    figures = totals(capsys, store_url)
    assert (figures["records"], figures["countries"], figures["victims_rescued"]) == (2, 2, 7)


def test_un_style_names_resolve_and_aggregates_are_rejected(capsys: pytest.CaptureFixture[str],
                                                            store_url: str) -> None:
    report = import_twice(capsys, store_url, PUBLIC / "un_names.csv", "--mapping", str(PUBLIC / "un_names.json"))
    assert (report["imported"], report["rejected"], report["skipped_by"]) == (5, 1, {"country 'Various' mapped to null": 1})
    assert report["errors"][0]["message"] == ("'World' is a regional aggregate or not a country: map it to a "
                                              'country, or skip such rows with "values": {"country": {"World": null}}')
    groups = run(capsys, store_url, "summary", "--by", "country")[1]["groups"]
    assert [(g["key"], g["arrests"]) for g in groups] == [("BOL", 2), ("CIV", 8), ("HKG", 4), ("IRN", 16),
                                                          ("NLD", 1)]


def test_a_header_copied_with_a_line_break_works_in_a_mapping(capsys: pytest.CaptureFixture[str], store_url: str,
                                                              tmp_path: Path) -> None:
    case = write_case(tmp_path, 'Operation,Date,Country,Crime area,"Persons\narrested (all)"\n'
                      "Op,2020-01-01,Peru,drugs,5\n", '{"columns": {"Persons  arrested (all)": "arrests"}}')
    report = import_twice(capsys, store_url, *case)
    assert report["columns"]["arrests"] == {"from": "Persons\narrested (all)", "how": "mapping"}
    assert totals(capsys, store_url)["arrests"] == 5


def test_year_and_month_columns_are_found_without_a_mapping(capsys: pytest.CaptureFixture[str],
                                                            store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "ym.csv"
    path.write_text("Year,Month,Operation,Country,Crime area,Arrests\n2021,February,Op,Peru,drugs,2\n"
                    "2021,12,Op,Peru,drugs,3\n", encoding="utf-8")
    report = import_twice(capsys, store_url, path)
    assert report["columns"]["date"] == {"from": "Year + Month", "how": "synonym"}
    rows = run(capsys, store_url, "export")[1]
    assert sorted((r["date"], r["end_date"], r["arrests"]) for r in rows) == [
        ("2021-02-01", "2021-02-28", 2), ("2021-12-01", "2021-12-31", 3)]


def test_a_default_translation_and_words_in_headers(capsys: pytest.CaptureFixture[str], store_url: str,
                                                   tmp_path: Path) -> None:
    case = write_case(tmp_path, "Operation date (local),Operation,Country,Offence,Arrests\n"
                      "2020-01-05,Op,Peru,Theft of cattle,2\n2020-01-06,Op,Peru,Cocaine,3\n"
                      "2020-01-07,Op,Peru,,4\n",
                      '{"values": {"crime_area": {"Theft of cattle": "Other", "*": "Drug trafficking"}}}')
    report = import_twice(capsys, store_url, *case)
    assert report["columns"]["date"] == {"from": "Operation date (local)", "how": "words"}
    # The empty offence is not translated by "*": that row is rejected as empty.
    assert [(e["row"], e["message"]) for e in report["errors"]] == [(3, "crime_area is required but empty")]
    groups = run(capsys, store_url, "summary", "--by", "crime_area")[1]["groups"]
    assert [(g["key"], g["arrests"]) for g in groups] == [("Drug trafficking", 3), ("Other", 2)]
