"""The synthetic generator (ocops.demo) and the committed illustrative sample file."""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pycountry
import pytest

from ocops.demo import generate_records, write_demo_csv

HEADER = (
    "record_id,operation,date,end_date,country,city,latitude,longitude,crime_area,"
    "arrests,seizures,victims_rescued,seized_item,seized_quantity,seized_unit,"
    "seized_value_usd,lead_agency,source,notes"
)
AREAS = {
    "Drug trafficking", "Trafficking in human beings", "People smuggling", "Firearms trafficking",
    "Illicit goods and counterfeiting", "Environmental crime", "Cultural heritage crime", "Vehicle crime",
    "Financial crime and money laundering", "Cybercrime", "Terrorism", "Fugitives",
    "Illegal gambling and match-fixing", "Maritime crime", "Document fraud", "Other",
}
UNITS = {"kg", "g", "t", "l", "ml", "items"}
TODAY = date(2026, 11, 25)
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_operations.csv"
BUILD_SCRIPT = SAMPLE.parent.parent / "scripts" / "build_sample_data.py"
SAMPLE_REFERENCE = date(2026, 11, 25)  # the committed sample's --reference-date (data/README.md)
REGIONS_FILE = SAMPLE.parent / "regions.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts of raw text, via the csv module."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def valid_iso3(code: str) -> bool:
    return code == "XKX" or pycountry.countries.get(alpha_3=code) is not None


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo.csv"
    assert write_demo_csv(10_000, out, seed=7, today=TODAY) == 10_000
    return out


def test_same_seed_gives_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_demo_csv(2_000, first, seed=7, today=TODAY)
    write_demo_csv(2_000, second, seed=7, today=TODAY)
    write_demo_csv(2_000, other, seed=8, today=TODAY)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_header_is_canonical_and_lines_end_with_lf(demo_file: Path) -> None:
    data = demo_file.read_bytes()
    assert data.split(b"\n", 1)[0].decode("utf-8") == HEADER
    assert b"\r" not in data
    assert data.count(b"\n") == 10_001  # header + 10 000 rows, each LF-terminated


def test_record_ids_are_numbered_from_one(demo_file: Path) -> None:
    rows = read_rows(demo_file)
    assert rows[0]["record_id"] == "DEMO-000000001"
    assert rows[-1]["record_id"] == "DEMO-000010000"


def test_every_value_is_valid(demo_file: Path) -> None:
    rows = read_rows(demo_file)
    assert len(rows) == 10_000
    first_day = (TODAY - timedelta(days=8 * 365)).isoformat()
    for row in rows:
        for count in ("arrests", "seizures", "victims_rescued"):
            assert re.fullmatch(r"\d+", row[count]), row
        assert first_day <= row["date"] <= TODAY.isoformat()
        assert row["end_date"] == "" or row["date"] <= row["end_date"] <= TODAY.isoformat()
        assert valid_iso3(row["country"]), row["country"]
        assert row["crime_area"] in AREAS
        assert row["operation"].startswith("Operation ")
        assert (row["latitude"] == "") == (row["longitude"] == "") == (row["city"] == "")
        if row["latitude"]:
            assert -90 <= float(row["latitude"]) <= 90 and -180 <= float(row["longitude"]) <= 180
        assert (row["seized_quantity"] == "") == (row["seized_unit"] == "")
        if row["seized_unit"]:
            assert row["seized_unit"] in UNITS and float(row["seized_quantity"]) > 0
            assert row["seized_item"] != ""
        if row["seized_value_usd"]:
            assert float(row["seized_value_usd"]) >= 0
    assert {row["crime_area"] for row in rows} == AREAS


def test_shape_is_realistic(demo_file: Path) -> None:
    rows = read_rows(demo_file)
    drugs = [r for r in rows if r["crime_area"] == "Drug trafficking"]
    trafficking = [r for r in rows if r["crime_area"] == "Trafficking in human beings"]
    assert all(r["victims_rescued"] == "0" for r in drugs)  # victims only where they fit
    assert sum(r["victims_rescued"] != "0" for r in trafficking) > len(trafficking) / 2
    assert {r["seized_unit"] for r in drugs if r["seized_item"] == "cocaine"} == {"kg"}
    located = sum(r["city"] != "" for r in rows) / len(rows)
    seized = sum(r["seized_item"] != "" for r in rows) / len(rows)
    assert 0.25 < located < 0.35
    assert 0.45 < seized < 0.70
    countries: dict[str, int] = {}
    for r in rows:
        countries[r["country"]] = countries.get(r["country"], 0) + 1
    assert len(countries) > 100
    assert max(countries.values()) > 10 * min(countries.values())  # skewed, not uniform


def test_generate_records_frame_matches_the_contract() -> None:
    frame = generate_records(500, seed=1, today=TODAY)
    assert ",".join(frame.columns) == HEADER
    assert len(frame) == 500
    assert str(frame["arrests"].dtype) == "int64"
    assert frame["date"].max() <= "2026-11-25"
    assert len(generate_records(0, today=TODAY)) == 0


def test_chunks_continue_the_numbering_and_match_the_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ocops.demo

    monkeypatch.setattr(ocops.demo, "_CHUNK", 3_000)
    out = tmp_path / "chunked.csv"
    write_demo_csv(7_000, out, seed=2, today=TODAY)
    rows = read_rows(out)
    assert [r["record_id"] for r in rows[2_999:3_001]] == ["DEMO-000003000", "DEMO-000003001"]
    assert rows[-1]["record_id"] == "DEMO-000007000"
    frame = generate_records(7_000, seed=2, today=TODAY)
    assert list(frame["operation"]) == [r["operation"] for r in rows]
    assert list(frame["arrests"]) == [int(r["arrests"]) for r in rows]


def test_ten_thousand_rows_are_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    write_demo_csv(10_000, tmp_path / "fast.csv", seed=3, today=TODAY)
    assert time.perf_counter() - start < 1.5


# --- the committed illustrative sample --------------------------------------

@pytest.fixture(scope="module")
def sample() -> list[dict[str, str]]:
    assert SAMPLE.exists(), "run scripts/build_sample_data.py"
    second = "seized_item_2,seized_quantity_2,seized_unit_2,seized_value_usd_2,"
    assert SAMPLE.read_bytes().split(b"\n", 1)[0].decode("utf-8") == HEADER.replace("lead_agency,", second + "lead_agency,")
    return read_rows(SAMPLE)


def test_sample_size_areas_and_regions(sample: list[dict[str, str]]) -> None:
    assert 300 <= len(sample) <= 500
    assert {r["crime_area"] for r in sample} == AREAS
    assert len({r["record_id"] for r in sample}) == len(sample)
    assert sample[0]["record_id"] == "SAMPLE-0001"
    assert all(valid_iso3(r["country"]) for r in sample)
    regions = {r["iso3"]: r["region"] for r in read_rows(REGIONS_FILE)}
    assert {regions[r["country"]] for r in sample} == {
        "Africa", "Americas", "Asia and South Pacific", "Europe", "Middle East and North Africa",
    }
    assert 20 <= len({r["operation"] for r in sample}) <= 40


def _build_sample(reference: date, out: Path) -> bytes:
    spec = importlib.util.spec_from_file_location("build_sample_data", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclasses look their module up
    try:
        spec.loader.exec_module(script)
    finally:
        del sys.modules[spec.name]
    assert script.main(["--reference-date", reference.isoformat(), "--out", str(out)]) == 0
    return out.read_bytes()


def test_the_reference_date_gives_the_committed_bytes_whatever_the_day(tmp_path: Path) -> None:
    """The committed sample is rebuilt from its reference date alone (today plays no part)."""
    assert _build_sample(SAMPLE_REFERENCE, tmp_path / "again.csv") == SAMPLE.read_bytes()
    later = _build_sample(date(2027, 3, 9), tmp_path / "later.csv")
    assert later != SAMPLE.read_bytes()
    assert max(r["end_date"] for r in read_rows(tmp_path / "later.csv")) <= "2027-03-09"


def test_sample_dates_run_from_2016_to_the_reference_month(sample: list[dict[str, str]]) -> None:
    dates = sorted(r["date"] for r in sample)
    assert dates[0].startswith("2016-01")
    assert dates[-1].startswith(SAMPLE_REFERENCE.strftime("%Y-%m"))
    assert all(r["end_date"] == "" or r["end_date"] >= r["date"] for r in sample)
    assert max(r["end_date"] for r in sample) <= SAMPLE_REFERENCE.isoformat()


def test_every_sample_row_is_marked_illustrative(sample: list[dict[str, str]]) -> None:
    assert all(r["notes"] == "Illustrative sample record" for r in sample)


def test_operation_andes_nets_49_people_smugglers(sample: list[dict[str, str]]) -> None:
    andes = [r for r in sample if r["operation"] == "Operation Andes"]
    assert sum(int(r["arrests"]) for r in andes) == 49
    assert all(r["date"].startswith("2018-12") and r["crime_area"] == "People smuggling" for r in andes)
    assert len({r["country"] for r in andes}) >= 3


def test_french_operation_has_22_arrests_in_france(sample: list[dict[str, str]]) -> None:
    french = [r for r in sample if r["source"].startswith("INTERPOL news 17 Dec 2018")]
    assert {r["country"] for r in french} == {"FRA"}
    assert sum(int(r["arrests"]) for r in french) == 22


def test_sudan_september_2018_rescues_100_victims(sample: list[dict[str, str]]) -> None:
    sudan = [r for r in sample if r["country"] == "SDN" and r["date"].startswith("2018-09")]
    assert sum(int(r["victims_rescued"] or 0) for r in sudan) == 100
    assert {r["crime_area"] for r in sudan} == {"Trafficking in human beings"}


def test_october_2018_narcotics_total_55_tonnes(sample: list[dict[str, str]]) -> None:
    narcotics = [r for r in sample
                 if r["source"].startswith("INTERPOL news 17 Oct 2018") and r["date"].startswith("2018-10")]
    assert {r["seized_unit"] for r in narcotics} == {"kg"} and {r["seized_unit_2"] for r in narcotics} == {"", "kg"}
    assert sum(float(r["seized_quantity"]) + float(r["seized_quantity_2"] or 0) for r in narcotics) == 55000
    regions = {r["iso3"]: r["region"] for r in read_rows(REGIONS_FILE)}
    assert len({regions[r["country"]] for r in narcotics}) >= 3
