"""File-level reading and refusal (CONTRACT.md sections 2 and 5): refused files write nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.cli import main
from ocops.errors import UnusableFile
from ocops.importer import Vocabulary, import_bytes
from ocops.ingest import inspect
from ocops.ingest.reader import decode, read_table, sniff_delimiter
from ocops.store import data_version

HEADER = "operation,date,country,crime_area,arrests\n"


def stored(engine: Engine) -> tuple[int, int, int]:
    """(batches, records, data version)."""
    with engine.connect() as conn:
        batches = conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one()
        records = conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one()
    return batches, records, data_version(engine)


def zipped(name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, "hello")
    return out.getvalue()


ACCEPTED = "upload a .csv, .tsv or .txt file (delimited text) or an .xlsx workbook."
REFUSALS = [
    ("empty.csv", b"", "empty.csv is empty: export the data again with a header row and at least one row."),
    ("blank.csv", b"\xef\xbb\xbf \r\n\r\n", "blank.csv is empty: export the data again with a header row and at least one row."),
    ("header.csv", HEADER.encode(), "header.csv has a header but no data rows: add at least one row."),
    ("noheader.csv", b"Operation Andes,2018-12-01,BRA,drugs,4\nOp B,2018-12-02,COL,drugs,5\n",
     "noheader.csv has no header row (the first row holds values such as '2018-12-01'): add a first row "
     "that names the columns, e.g. operation, date, country, crime_area."),
    ("numbers.csv", b"1,2,3\n4,5,6\n",
     "numbers.csv has no header row (the first row holds values such as '1'): add a first row that names the "
     "columns, e.g. operation, date, country, crime_area."),
    ("report.pdf", b"%PDF-1.7\n...", f"report.pdf is not a file ocops can read: {ACCEPTED}"),
    ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", f"report.csv is a PDF document, not a table ocops can read: {ACCEPTED}"),
    ("archive.zip", zipped("a.csv"), f"archive.zip is not a file ocops can read: {ACCEPTED}"),
    ("fake.xlsx", zipped("a.csv"),
     "fake.xlsx is a zip file but not a readable .xlsx workbook: save it again from Excel as .xlsx, or as .csv."),
    ("plain.xlsx", HEADER.encode() + b"Op,2018-01-01,BRA,drugs,1\n",
     "plain.xlsx is named .xlsx but is not an Excel workbook: save it again as .xlsx or .csv."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", f"old.xls is not a file ocops can read: {ACCEPTED}"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50,
     "old.csv is an old Excel .xls (or other Office 97) file: save it as .xlsx or .csv, not a table ocops can "
     f"read: {ACCEPTED}"),
    ("binary.csv", bytes(range(256)) * 8, f"binary.csv looks like a binary file, not text: {ACCEPTED}"),
    ("ragged.csv", (HEADER + "Op,2018-01-01,BRA,drugs,1,extra,more\n").encode(),
     "ragged.csv is not readable as delimited text (Error tokenizing data. C error: Expected 5 fields in line 2, "
     "saw 7): check that every row has the same number of columns and quotes are closed."),
    ("nofields.csv", b"name,colour\nx,red\n",
     "No column for the required field(s) operation, date, country, crime_area: the file's columns are name, "
     "colour. Rename a column, map it (mapping 'columns') or give a constant (mapping 'constants', e.g. the "
     "country of a national file)."),
]


@pytest.mark.parametrize(("name", "data", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_unusable_files_are_refused_with_a_plain_message_and_nothing_written(
    engine: Engine, vocabulary: Vocabulary, name: str, data: bytes, message: str
) -> None:
    before = stored(engine)
    with pytest.raises(UnusableFile) as caught:
        import_bytes(engine, data, name, vocabulary)
    assert str(caught.value) == message
    assert stored(engine) == before == (0, 0, before[2])


def test_size_limit_is_checked_before_parsing(engine: Engine, vocabulary: Vocabulary) -> None:
    data = (HEADER + "Op,2018-01-01,BRA,drugs,1\n").encode() + b"x" * 2_000
    with pytest.raises(UnusableFile) as caught:
        import_bytes(engine, data, "big.csv", vocabulary, max_bytes=1_000)
    assert str(caught.value) == ("big.csv is 0.00207 MB, over the 0.001 MB limit: split it into smaller files "
                                 "or ask an administrator to raise OCOPS_MAX_UPLOAD_MB.")
    with pytest.raises(UnusableFile, match=r"^big.csv is 2\.1 MB, over the 1\.0 MB limit"):
        import_bytes(engine, b"\x00" * 2_100_000, "big.csv", vocabulary, max_bytes=1_000_000)
    assert stored(engine)[:2] == (0, 0)


def test_cli_prints_error_json_and_exits_2_for_an_unusable_file(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(HEADER.encode())
    assert main(["--db", store_url, "import", str(path)]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out == {"error": "header.csv has a header but no data rows: add at least one row."}
    assert stored(engine)[:2] == (0, 0)


@pytest.mark.parametrize(("text", "expected"), [
    ("José,Málaga,Zürich,€ 12\n", "cp1252"),
    ("operation;country\nOpération Café;Österreich\nOp Zürich;Deutschland\nStraße;€\n", "cp1252"),
    ("name\nFrançois Besançon naïve\n", "cp1252"),
])
def test_windows_1252_wins_over_detector_guesses_for_western_text(text: str, expected: str) -> None:
    assert decode(text.encode("cp1252"), "f.csv") == (text, expected)


def test_utf8_bom_utf16_bom_and_bomless_utf16_decode() -> None:
    text = "operation,country\nOpération,Côte d'Ivoire\n"
    assert decode(b"\xef\xbb\xbf" + text.encode(), "f.csv") == (text, "utf-8-sig")
    assert decode(text.encode("utf-16"), "f.csv") == (text, "utf-16")
    assert decode(text.encode("utf-16-be"), "f.csv") == (text, "utf-16-be")
    assert decode(text.encode(), "f.csv") == (text, "utf-8")


def test_cyrillic_windows_1251_goes_to_the_detector() -> None:
    text = "операция,страна\nПолиция,Россия\nОперация Гром,Казахстан\n" * 5
    assert decode(text.encode("cp1251"), "f.csv")[0] == text


@pytest.mark.parametrize(("text", "delimiter"), [
    ("a,b,c\n1,2,3\n", ","),
    ("a;b;c\n1,5;2,5;3\n", ";"),
    ("a\tb\tc\n1,5\t2;5\t3\n", "\t"),
    ("a|b|c\n1|2|3\n", "|"),
    ('a,b\n"x;y;z;w","1;2;3"\n"p;q;r;s",4\n', ","),
    ('a;b\n"x,\ny,z";1\n"p,q,r";2\n', ";"),
    ("only\nvalue\n", ","),
    ('"one; column, really"\n"x; y, z"\n', ","),
])
def test_delimiter_sniffing_respects_quotes_and_single_columns(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_quoted_newlines_count_as_one_row_and_crlf_is_read() -> None:
    table = read_table(b'a,b\r\n"line one\r\nline two",1\r\nx,"2,5"\r\n', "f.csv")
    assert table.frame.to_dict("records") == [{"a": "line one\r\nline two", "b": "1"}, {"a": "x", "b": "2,5"}]
    assert table.rows == 2


def test_duplicate_and_blank_headers_get_distinct_names() -> None:
    table = read_table(b"Country,country,,x\nBRA,COL,1,2\n", "f.csv")
    assert table.headers == ["Country", "country", "column 3", "x"]
    table = read_table(b"a,a\n1,2\n", "f.txt")
    assert table.headers == ["a", "a (2)"]


def test_inspect_describes_a_file_for_the_mapping_step() -> None:
    data = ("Operation Name;Date;ISO3;Crime Type;Arrested;internal\n"
            "Andes;05/07/2018;BRA;drugs;1;a\nAndes;25/07/2018;COL;drugs;2;b\nB;06/07/2018;COL;drugs;2;a\n")
    found = inspect(data.encode("cp1252"), "x.csv")
    assert found.matched == {"operation": "Operation Name", "date": "Date", "country": "ISO3",
                             "crime_area": "Crime Type", "arrests": "Arrested"}
    assert found.unmatched == ["internal"]
    assert found.samples["ISO3"] == ["BRA", "COL"]
    assert found.samples["internal"] == ["a", "b"]
    assert (found.encoding, found.delimiter, found.rows, found.dayfirst_guess) == ("utf-8", "semicolon", 3, True)
