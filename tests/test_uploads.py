"""The upload page's logic (ocops.uploads), against hand-computed expectations.

``upload_european.csv`` is Windows-1252, semicolon-separated, with day-first
dates and European numbers. Its five rows, by hand:

1. Opération Épée, 25/03/2024, Côte d'Ivoire, Drug trafficking, arrests 1.234 (=1234), seizures 12,
   victims 3, value 12.500,5 (=12500.5), 1.500,25 kg
2. Opération Épée, 05/04/2024, France, drugs (=Drug trafficking), 7, 2, 0, value 1.000,75
3. Opération Nord, 13/01/2024, Germany, Firearms trafficking, 15, 4, 1, 12,5 kg
4. Opération Nord, 01/02/2024, Atlantis (unknown country) -> rejected
5. Opération Sud, 10/12/2023, Spain, "Crimes Against the Person" (unknown area) -> rejected unless mapped;
   arrests 3, seizures 1, victims 2; notes "=1+1"
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ocops import uploads
from ocops.errors import MappingError, UnusableFile
from ocops.importer import Removal, Vocabulary, import_bytes, list_batches
from ocops.ingest.mapping import Mapping
from ocops.ingest.report import ImportReport, RowError

FIXTURES = Path(__file__).parent / "fixtures"
EUROPEAN = FIXTURES / "upload_european.csv"
EUROPEAN_HEADERS = ["Operation Name", "Date", "Country", "Crime Type", "Arrests", "Seizures", "Victims Rescued",
                    "Seized Value USD", "Seized Quantity", "Seized Unit", "Notes"]
ARRESTS_HEADERS = ["_id", "ARREST_YEAR", "DIVISION", "HOOD_158", "NEIGHBOURHOOD_158", "SEX", "AGE_COHORT",
                   "AGE_GROUP", "CATEGORY", "SUBTYPE", "ARREST_COUNT"]
NA = uploads.NOT_A_FIELD


@pytest.fixture
def european() -> uploads.Upload:
    return uploads.open_upload(EUROPEAN.read_bytes(), EUROPEAN.name, max_bytes=1_000_000)


def test_open_upload_reports_what_was_detected(european: uploads.Upload) -> None:
    facts = european.inspection
    assert (facts.encoding, facts.delimiter, facts.rows, facts.dayfirst_guess) == ("cp1252", "semicolon", 5, True)
    assert european.headers == EUROPEAN_HEADERS
    assert european.raw.frame["Country"].tolist() == ["Côte d'Ivoire", "France", "Germany", "Atlantis", "Spain"]
    assert len(european.digest) == 16


def test_open_upload_refuses_binary_and_oversized_files() -> None:
    with pytest.raises(UnusableFile, match="binary"):
        uploads.open_upload(b"\x00\x01\x02garbage\x00" * 50, "data.csv", max_bytes=None)
    with pytest.raises(UnusableFile, match="PDF"):
        uploads.open_upload(b"%PDF-1.4 whatever", "report.csv", max_bytes=None)
    with pytest.raises(UnusableFile, match="limit"):
        uploads.open_upload(EUROPEAN.read_bytes(), EUROPEAN.name, max_bytes=100)
    with pytest.raises(UnusableFile, match="not a file ocops can read"):
        uploads.open_upload(b"a,b\n1,2\n", "data.json", max_bytes=None)


def test_choices_are_prefilled_from_the_automatic_match() -> None:
    assert uploads.choices_for(EUROPEAN_HEADERS) == {
        "Operation Name": "operation", "Date": "date", "Country": "country", "Crime Type": "crime_area",
        "Arrests": "arrests", "Seizures": "seizures", "Victims Rescued": "victims_rescued",
        "Seized Value USD": "seized_value_usd", "Seized Quantity": "seized_quantity",
        "Seized Unit": "seized_unit", "Notes": "notes"}
    choices = uploads.choices_for(ARRESTS_HEADERS)
    assert {h: c for h, c in choices.items() if c != NA} == {
        "_id": "record_id", "ARREST_YEAR": "date", "CATEGORY": "crime_area", "ARREST_COUNT": "arrests"}


def test_choices_follow_a_preset_mapping() -> None:
    preset = Mapping(columns={"_id": "ignore", "ARREST_YEAR": "date"}, constants={"country": "Canada"})
    choices = uploads.choices_for(ARRESTS_HEADERS, preset)
    assert choices["_id"] == "ignore"
    assert choices["ARREST_YEAR"] == "date"
    assert choices["CATEGORY"] == "crime_area"
    assert choices["SEX"] == NA


def test_build_mapping_gives_the_importer_json() -> None:
    choices = uploads.choices_for(ARRESTS_HEADERS)
    choices.update({"_id": NA, "ARREST_YEAR": "date"})
    mapping = uploads.build_mapping(
        ARRESTS_HEADERS, choices, constants={"country": " Canada ", "operation": "Toronto arrests", "city": ""},
        values={"crime_area": {"Crimes Against the Person": "Other", "Criminal Code Traffic": ""}},
        dayfirst=None)
    # _id was left "not a field" but would be matched to record_id automatically: listed as ignore.
    assert mapping.to_data() == {
        "columns": {"ARREST_YEAR": "date", "CATEGORY": "crime_area", "ARREST_COUNT": "arrests", "_id": "ignore"},
        "constants": {"country": "Canada", "operation": "Toronto arrests"},
        "values": {"crime_area": {"Crimes Against the Person": "Other"}},
    }
    assert uploads.build_mapping(["a"], {"a": "date"}, dayfirst=False).to_data() == {
        "columns": {"a": "date"}, "dayfirst": False}


def test_build_mapping_rejects_unknown_fields() -> None:
    with pytest.raises(MappingError, match="unknown fields"):
        uploads.build_mapping(["a"], {"a": "date"}, constants={"planet": "Mars"})


def test_missing_required_duplicates_and_constant_fields() -> None:
    choices = uploads.choices_for(ARRESTS_HEADERS)
    assert uploads.missing_required(choices) == ["operation", "country"]  # ARREST_YEAR holds the field's words
    choices["ARREST_YEAR"] = NA
    assert uploads.missing_required(choices, {"country": "Canada", "operation": "  "}) == ["operation", "date"]
    assert uploads.duplicate_targets({"a": "date", "b": "date", "c": NA, "d": NA, "e": "ignore", "f": "ignore"}) \
        == {"date": ["a", "b"]}
    preset = Mapping(constants={"city": "Toronto"})
    assert uploads.constant_fields(choices, preset) == ["operation", "date", "country", "city"]
    assert uploads.constant_fields(uploads.choices_for(EUROPEAN_HEADERS)) == []


def test_unknown_values_of_crime_area_and_country(european: uploads.Upload, vocabulary: Vocabulary) -> None:
    areas = uploads.unknown_values(european.raw, "Crime Type", "crime_area", vocabulary)
    assert [(u.value, u.rows) for u in areas] == [("Crimes Against the Person", 1)]
    assert areas[0].suggestions[0] == "Other"
    countries = uploads.unknown_values(european.raw, "Country", "country", vocabulary)
    assert [(u.value, u.rows) for u in countries] == [("Atlantis", 1)]
    assert "Other" in uploads.value_options("crime_area", vocabulary)
    assert "Côte d'Ivoire" in uploads.value_options("country", vocabulary) or \
        "Ivory Coast" in uploads.value_options("country", vocabulary)


def test_dry_run_counts_previews_and_writes_nothing(engine: Engine, european: uploads.Upload,
                                                    vocabulary: Vocabulary) -> None:
    mapping = uploads.build_mapping(european.headers, uploads.choices_for(european.headers))
    result = uploads.dry_run(engine, european, vocabulary, mapping)
    assert uploads.counts(result.report) == {"Rows read": 5, "New": 3, "Updated": 0, "Unchanged": 0, "Rejected": 2, "Skipped": 0}
    assert result.preview["Row"].tolist() == [1, 2, 3]
    assert result.preview["Arrests"].tolist() == [1234, 7, 15]
    assert result.preview["Country"].tolist() == ["CIV", "FRA", "DEU"]
    assert result.preview["Date"].tolist() == ["2024-03-25", "2024-04-05", "2024-01-13"]
    assert result.preview["Seized value (USD)"].tolist()[:2] == [12500.5, 1000.75]
    assert result.errors["row"].tolist() == [4, 5]
    assert result.errors["column"].tolist() == ["country", "crime_area"]
    assert result.errors["value"].tolist() == ["Atlantis", "Crimes Against the Person"]
    assert list_batches(engine) == []

    mapped = uploads.build_mapping(european.headers, uploads.choices_for(european.headers),
                                   values={"crime_area": {"Crimes Against the Person": "Other"}})
    result = uploads.dry_run(engine, european, vocabulary, mapped)
    assert uploads.counts(result.report) == {"Rows read": 5, "New": 4, "Updated": 0, "Unchanged": 0, "Rejected": 1, "Skipped": 0}
    assert result.preview.loc[3, "Crime area"] == "Other"

    strict = uploads.dry_run(engine, european, vocabulary, mapping, all_or_nothing=True)
    assert strict.report.imported == 0
    assert uploads.dry_run_notes(strict.report)[0].startswith("All or nothing: 2 rejected rows")


def test_dry_run_after_an_import_names_the_batches_it_would_update(engine: Engine, vocabulary: Vocabulary) -> None:
    data = EUROPEAN.read_bytes()
    first = import_bytes(engine, data, "first.csv", vocabulary)
    assert (first.batch_id, first.imported) == (1, 3)
    # Row 2 (France) changes its arrests from 7 to 8: same key (measures are not in it), new values.
    changed = data.replace(b"drugs;7;2", b"drugs;8;2")
    upload = uploads.open_upload(changed, "second.csv", None)
    result = uploads.dry_run(engine, upload, vocabulary, Mapping())
    assert uploads.counts(result.report) == {"Rows read": 5, "New": 0, "Updated": 1, "Unchanged": 2, "Rejected": 2, "Skipped": 0}
    assert result.report.updated_from_batches == [1]
    assert "1 rows would update records of earlier batches #1." in uploads.dry_run_notes(result.report)
    assert [b["batch_id"] for b in list_batches(engine)] == [1]


def test_rejected_rows_keep_the_file_values_and_every_reason(european: uploads.Upload) -> None:
    errors = [RowError(5, "crime_area", "Crimes Against the Person", "unknown crime area"),
              RowError(4, "country", "Atlantis", "unknown country 'Atlantis'"),
              RowError(5, "date", "x", "bad date")]
    frame = uploads.rejected_rows(european.raw, errors)
    assert frame["row"].tolist() == [4, 5]
    assert frame["problems"].tolist() == ["country: unknown country 'Atlantis'",
                                          "crime_area: unknown crime area; date: bad date"]
    assert frame["Country"].tolist() == ["Atlantis", "Spain"]
    text = uploads.rejected_csv(european.raw, errors)
    lines = text.splitlines()
    assert lines[0] == ("row,problems,Operation Name,Date,Country,Crime Type,Arrests,Seizures,Victims Rescued,"
                        "Seized Value USD,Seized Quantity,Seized Unit,Notes")
    assert lines[2].endswith(",'=1+1")  # a formula in the file is neutralised for spreadsheets


def test_messages_and_history() -> None:
    report = ImportReport(file="ops.csv", rows_read=10, imported=6, updated=1, unchanged=1, rejected=2, batch_id=7)
    assert uploads.import_message(report) == \
        "Imported ops.csv as batch #7: 6 new, 1 updated, 1 unchanged, 2 rejected."
    refused = ImportReport(file="ops.csv", rows_read=10, rejected=2, all_or_nothing=True)
    assert uploads.import_message(refused).startswith("Nothing was imported from ops.csv")
    batch = {"batch_id": 3, "filename": "a.csv", "sha256": "x", "created_at": "2024-05-01T10:00:00", "user": "ana",
             "rows_read": 1500, "imported": 1200, "updated": 0, "unchanged": 0, "rejected": 300,
             "current_records": 1200}
    table = uploads.history_frame([batch])
    assert table.columns.tolist() == ["Batch", "File", "Imported at (UTC)", "User", "Rows read", "New", "Updated",
                                      "Unchanged", "Rejected", "Records now", "Removed"]
    assert table.iloc[0].tolist() == [3, "a.csv", "2024-05-01 10:00:00", "ana", 1500, 1200, 0, 0, 300, 1200, ""]
    gone = uploads.history_frame([{**batch, "current_records": 0, "removed_at": "2024-05-02T09:30:00+00:00",
                                   "removed_by": "bo"}])
    assert gone[["File", "Records now", "Removed"]].iloc[0].tolist() == [
        "a\u0336.\u0336c\u0336s\u0336v\u0336", 0, "2024-05-02 09:30:00 UTC by bo"]
    assert uploads.history_frame([]).empty
    assert uploads.batch_label(batch) == "#3 · a.csv · 2024-05-01 10:00:00 · 1,200 records"
    assert uploads.history_frame([{**batch, "created_at": "2024-05-01 10:00:00.289670"}]).iloc[0, 2] == \
        "2024-05-01 10:00:00"
    assert uploads.removal_message(Removal(3, "a.csv", removed=1199, restored=1)) == \
        "Removed batch #3 (a.csv): 1,199 records removed, 1 restored to their earlier values."


def test_choice_labels() -> None:
    assert uploads.choice_label("country") == "country (required)"
    assert uploads.choice_label("arrests") == "arrests"
    assert uploads.choice_label(uploads.IGNORE) == "ignore (left out of the row key)"
    assert uploads.choice_label(NA) == "not a field (kept in the row key)"


def test_dry_run_names_seized_items_the_vocabulary_does_not_know() -> None:
    report = ImportReport(file="w.csv", unknown_items=["live birds", "solar panels"])
    assert uploads.dry_run_notes(report) == [
        "Seized items not in the vocabulary, counted under Other: live birds, solar panels "
        "(add them as aliases in the seized-item file to count them under an item)."]
