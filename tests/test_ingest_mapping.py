"""Header matching and the mapping JSON (CONTRACT.md section 2), geometry coordinates included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.errors import MappingError
from ocops.importer import Vocabulary, import_bytes
from ocops.ingest.mapping import Mapping, match_headers

PRESETS = Path(__file__).resolve().parent.parent / "data" / "presets"
MAPPINGS = Path(__file__).resolve().parent / "mappings"


@pytest.mark.parametrize(("header", "field"), [
    ("Operation Name", "operation"), ("No. of arrests", "arrests"), ("Arrested", "arrests"),
    ("Victims Rescued", "victims_rescued"), ("Crime Type", "crime_area"), ("Country Name", "country"),
    ("ISO3", "country"), ("Lat", "latitude"), ("Lon", "longitude"), ("Lng", "longitude"),
    ("OPERATION_NAME", "operation"), ("  crime   type ", "crime_area"), ("NumberOfArrests", "arrests"),
    ("Seized Value (USD)", "seized_value_usd"), ("geometry", "coordinates"),
])
def test_header_synonyms_match(header: str, field: str) -> None:
    assert match_headers([header]) == ({field: header}, [])


def test_explicit_columns_win_and_ignore_leaves_a_column_out() -> None:
    headers = ["Country", "Land", "Ref", "Notes"]
    mapping = Mapping(columns={"Land": "country", "Ref": "ignore"})
    assert match_headers(headers, mapping) == ({"country": "Land", "notes": "Notes"}, ["Country"])


def test_a_constant_field_takes_no_column() -> None:
    assert match_headers(["Country", "Date"], Mapping(constants={"country": "CAN"})) == ({"date": "Date"}, ["Country"])


def test_geometry_is_dropped_when_latitude_and_longitude_columns_exist() -> None:
    assert match_headers(["lat", "lon", "geometry"]) == ({"latitude": "lat", "longitude": "lon"}, ["geometry"])


@pytest.mark.parametrize(("data", "message"), [
    ("[]", "the mapping must be a JSON object with 'columns', 'constants', 'values' or 'dayfirst'."),
    ('{"colums": {}}', "the mapping has unknown keys ['colums']: use header_row, columns, constants, where, "
     "measures, values, dayfirst, fiscal_year_start, duplicates, quantities."),
    ('{"columns": {"A": "arrest"}}', "the mapping: 'columns' names unknown fields ['arrest']; the fields are "
     "record_id, operation, date, end_date, country, city, latitude, longitude, crime_area, arrests, seizures, "
     "victims_rescued, seized_item, seized_quantity, seized_unit, seized_value_usd, lead_agency, source, notes "
     "(and, in 'columns', coordinates, year, month or ignore)."),
    ('{"dayfirst": "yes"}', "the mapping: 'dayfirst' must be true or false."),
    ('{"header_row": 0}', "the mapping: 'header_row' must be a row number, 1 or more (the row that holds the headers)."),
    ('{"fiscal_year_start": 13}', "the mapping: 'fiscal_year_start' must be a month number from 1 to 12 (10 = October)."),
    ('{"duplicates": "merge"}', "the mapping: 'duplicates' must be one of keep, reject, sum."),
    ('{"where": {"Sex": "Total"}}', "the mapping: 'where.Sex' must be a non-empty list of values."),
    ('{"measures": {"column": "Indicator"}}', "the mapping: 'measures' must be an object with 'column' (the indicator "
     "column), 'value' (the value column) and 'fields' (indicator -> field)."),
    ('{"measures": {"column": "I", "value": "V", "fields": {"X": "arest"}}}', "the mapping: 'measures': 'X' names "
     "unknown fields ['arest']; the fields are record_id, operation, date, end_date, country, city, latitude, "
     "longitude, crime_area, arrests, seizures, victims_rescued, seized_item, seized_quantity, seized_unit, "
     "seized_value_usd, lead_agency, source, notes."),
    ("{", "the mapping is not valid JSON (Expecting property name enclosed in double quotes at line 1)."),
])
def test_malformed_mappings_say_what_is_wrong(data: str, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        Mapping.from_json(data)
    assert str(caught.value) == message


def test_a_mapping_with_every_key_round_trips_through_json() -> None:
    text = json.dumps({"header_row": 3, "columns": {"FY": "year", "M": "month"}, "constants": {"country": "USA"},
                       "where": {"Sex": ["Total"], "Age": {"not": ["0-17"]}},
                       "measures": {"column": "Indicator", "value": "VALUE",
                                    "fields": {"Arrested": "arrests",
                                               "Arms": {"field": "seized_quantity",
                                                        "constants": {"seized_unit": "items"}}}},
                       "values": {"country": {"Various": None, "*": "USA"}}, "fiscal_year_start": 10,
                       "duplicates": "sum"})
    assert json.loads(Mapping.from_json(text).to_json()) == json.loads(text)


def test_mapping_round_trips_through_json() -> None:
    text = '{"columns": {"ARREST_YEAR": "date"}, "constants": {"country": "Canada"}, ' \
           '"values": {"crime_area": {"X": "Other"}}, "dayfirst": true}'
    assert json.loads(Mapping.from_json(text).to_json()) == json.loads(text)


def test_a_mapping_naming_a_missing_column_is_refused(engine: Engine, vocabulary: Vocabulary) -> None:
    with pytest.raises(MappingError) as caught:
        import_bytes(engine, b"operation,date,country,crime_area\nA,2019,BRA,drugs\n", "x.csv", vocabulary,
                     mapping=Mapping(columns={"YEAR": "date"}))
    assert str(caught.value) == ("The mapping names columns the file does not have: 'YEAR'. "
                                 "The file's columns are: operation, date, country, crime_area.")


def test_constants_values_and_case_insensitive_translation(engine: Engine, vocabulary: Vocabulary) -> None:
    text = ("Operation,Year,Kind,Town,Arrests\n"
            "A,2019,crimes against property,NSA,1\nA,2020,CRIMES AGAINST PROPERTY,Toronto,2\n"
            "A,2021,Mischief,  nsa ,3\n")
    mapping = Mapping.from_data({
        "columns": {"Year": "date", "Kind": "crime_area", "Town": "city"},
        "constants": {"country": "Canada"},
        "values": {"crime_area": {"Crimes Against Property": "Other"}, "city": {"NSA": ""}},
    })
    report = import_bytes(engine, text.encode(), "x.csv", vocabulary, mapping=mapping)
    assert [(e.row, e.column, e.value) for e in report.errors] == [(3, "crime_area", "Mischief")]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT date, end_date, country, country_name, crime_area, city, arrests "
                                    "FROM records ORDER BY date")).all()
    assert [tuple(str(v) if v is not None else None for v in r) for r in rows] == [
        ("2019-01-01", "2019-12-31", "CAN", "Canada", "Other", None, "1"),
        ("2020-01-01", "2020-12-31", "CAN", "Canada", "Other", "Toronto", "2"),
    ]


def test_geometry_column_gives_coordinates_and_near_zero_points_are_none(
    engine: Engine, vocabulary: Vocabulary
) -> None:
    text = ("id,date,geometry\n"
            "\"E1\",2019-05-01,\"{'type': 'MultiPoint', 'coordinates': [[-79.538218382, 43.7337424510001]]}\"\n"
            "\"E2\",2019-05-02,\"{'type': 'MultiPoint', 'coordinates': [[5.6843418860808e-14, 5.08e-14]]}\"\n"
            "\"E3\",2019-05-03,\"POINT (-79.4 43.65)\"\n"
            "\"E4\",2019-05-04,\n"
            "\"E5\",2019-05-05,somewhere\n"
            "\"E6\",2019-05-06,\"{\"\"type\"\": \"\"Point\"\", \"\"coordinates\"\": [-79.1, 95.2]}\"\n")
    mapping = Mapping.from_data({"columns": {"geometry": "coordinates"},
                                 "constants": {"country": "CAN", "crime_area": "Other", "operation": "Shootings"}})
    report = import_bytes(engine, text.encode(), "s.csv", vocabulary, mapping=mapping)
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (5, "coordinates", "coordinates 'somewhere' hold no longitude and latitude: use a GeoJSON-style point "
                           "such as {'type': 'Point', 'coordinates': [lon, lat]} or WKT POINT (lon lat)"),
        (6, "latitude", "latitude '95.2' is out of range: it must be between -90 and 90"),
    ]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT record_id, latitude, longitude FROM records ORDER BY record_id")).all()
    assert [tuple(r) for r in rows] == [("E1", 43.7337424510001, -79.538218382), ("E2", None, None),
                                        ("E3", 43.65, -79.4), ("E4", None, None)]


@pytest.mark.parametrize("name", ["Toronto arrested and charged persons", "Toronto victims of crime",
                                  "Toronto shootings and firearm discharges"])
def test_shipped_presets_are_valid_mappings_equal_to_the_tested_ones(name: str) -> None:
    preset = Mapping.from_file(PRESETS / f"{name}.json")
    tested = Mapping.from_file(MAPPINGS / (name.lower().replace(" and ", "_").replace(" ", "_") + ".json"))
    assert preset == tested
    assert preset.constants["country"] == "Canada"
