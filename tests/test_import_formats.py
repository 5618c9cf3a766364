"""The same ten records as UTF-8 CSV, Windows-1252 semicolon file, UTF-16 TSV and .xlsx
import to identical, hand-checked totals (CONTRACT.md sections 2 and 6)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from ocops import queries
from ocops.importer import Vocabulary, import_bytes

# Hand-computed over the ten records below.
EXPECTED_TOTALS = {
    "records": 10, "operations": 6, "countries": 10,
    "arrests": 1234 + 12 + 40 + 5 + 20 + 3 + 7 + 2 + 6 + 1,  # 1330
    "seizures": 3 + 1 + 15 + 2 + 9 + 4 + 1,  # 35
    "victims_rescued": 130 + 7,  # 137
    "seized_value_usd": 2500000.5 + 1000 + 45000.75 + 800 + 300000,  # 2846801.25
    "seized_kg": 1234.5 + 0.25 + 1500 + 1200,  # 3934.75 (250 g, 1.5 t)
    "seized_l": 120.0,
    "seized_items": 10000 + 35,
}

UTF8_CSV = """record_id,operation,date,country,crime_area,arrests,seizures,victims_rescued,seized_item,seized_quantity,seized_unit,seized_value_usd,notes
R01,Operation Andes,2018-07-05,Brazil,Drug trafficking,"1,234",3,0,cocaine,"1,234.5",kg,"2,500,000.5","port of Santos, container 7"
R02,Operation Andes,2018-07-06,Colombia,narcotics,12,1,0,cocaine,250,g,1000,
R03,Operation Liberterra,2018-11-13,Côte d'Ivoire,THB,40,0,130,,,,,"multi
line note"
R04,Operation Liberterra,2018-11-14,Germany,human trafficking,5,,7,,,,,
R05,Operation Pangea,2019-03-01,France,counterfeit medicines,20,15,0,pills,10000,items,45000.75,
R06,Operation Pangea,2019-03-02,Spain,Illicit goods and counterfeiting,3,2,0,syrup,120,l,800,
R07,Operation Trigger,2019-12-24,South Africa,Firearms trafficking,7,9,0,firearms,35,items,,
R08,Operation Thunder,2020-01-31,Kenya,wildlife,2,4,0,ivory,1.5,t,300000,
R09,Operation Thunder,2020-02-01,Viet Nam,Environmental crime,6,1,0,pangolin scales,1200,kg,,
R10,Operation Storm,2020-02-29,Kosovo,cybercrime,1,0,0,,,,,
"""

CP1252_SEMICOLON = """Record ID;Operation;Date;Country;Crime area;Arrests;Seizures;Victims rescued;Seized item;Seized quantity;Seized unit;Seized value USD;Lead agency
R01;Operation Andes;05/07/2018;Brazil;Drug trafficking;1.234;3;0;cocaine;1.234,5;kg;2.500.000,5;Polícia Federal
R02;Operation Andes;06/07/2018;Colombia;narcotics;12;1;0;cocaine;250;g;1.000;Policía Nacional
R03;Operation Liberterra;13/11/2018;Côte d'Ivoire;THB;40;0;130;;;;;
R04;Operation Liberterra;14/11/2018;Germany;human trafficking;5;0;7;;;;;Bundeskriminalamt Düsseldorf
R05;Operation Pangea;01/03/2019;France;counterfeit medicines;20;15;0;pills;10.000;items;45.000,75;Gendarmerie (coût 45.000,75 €)
R06;Operation Pangea;02/03/2019;Spain;Illicit goods and counterfeiting;3;2;0;syrup;120;l;800;Guardia Civil
R07;Operation Trigger;24/12/2019;South Africa;Firearms trafficking;7;9;0;firearms;35;items;;SAPS
R08;Operation Thunder;31/01/2020;Kenya;wildlife;2;4;0;ivory;1,5;t;300.000;KWS
R09;Operation Thunder;01/02/2020;Viet Nam;Environmental crime;6;1;0;pangolin scales;1.200;kg;;
R10;Operation Storm;29/02/2020;Kosovo;cybercrime;1;0;0;;;;;
"""

UTF16_TSV_ROWS = [
    ["Reference", "Operation Name", "Date", "ISO3", "Crime Type", "No. of arrests", "Seizures",
     "Victims Rescued", "Item", "Quantity", "Unit", "Value USD"],
    ["R01", "Operation Andes", "5 July 2018", "BRA", "Drug trafficking", "1234", "3", "0", "cocaine", "1234.5", "kg", "2500000.5"],
    ["R02", "Operation Andes", "July 6, 2018", "COL", "narcotics", "12", "1", "0", "cocaine", "250", "g", "1000"],
    ["R03", "Operation Liberterra", "13 November 2018", "CIV", "THB", "40", "0", "130", "", "", "", ""],
    ["R04", "Operation Liberterra", "November 14, 2018", "DEU", "human trafficking", "5", "0", "7", "", "", "", ""],
    ["R05", "Operation Pangea", "1 March 2019", "FRA", "counterfeit medicines", "20", "15", "0", "pills", "10000", "items", "45000.75"],
    ["R06", "Operation Pangea", "2 March 2019", "ESP", "Illicit goods and counterfeiting", "3", "2", "0", "syrup", "120", "l", "800"],
    ["R07", "Operation Trigger", "24 December 2019", "ZAF", "Firearms trafficking", "7", "9", "0", "firearms", "35", "items", ""],
    ["R08", "Operation Thunder", "31 January 2020", "KEN", "wildlife", "2", "4", "0", "ivory", "1.5", "t", "300000"],
    ["R09", "Operation Thunder", "1 February 2020", "VNM", "Environmental crime", "6", "1", "0", "pangolin scales", "1200", "kg", ""],
    ["R10", "Operation Storm", "29 February 2020", "XKX", "cybercrime", "1", "0", "0", "", "", "", ""],
]


def utf16_tsv() -> bytes:
    """The TSV rendering, UTF-16 with BOM and CRLF line ends."""
    return "\r\n".join("\t".join(row) for row in UTF16_TSV_ROWS).encode("utf-16")


def workbook() -> bytes:
    """The .xlsx rendering, with real date and number cells."""
    book = Workbook()
    sheet = book.active
    sheet.append(["record_id", "operation", "date", "country", "crime_area", "arrests", "seizures",
                  "victims_rescued", "seized_item", "seized_quantity", "seized_unit", "seized_value_usd"])
    for row in UTF16_TSV_ROWS[1:]:
        day = dt.datetime.strptime(row[2].replace(",", ""), "%d %B %Y" if row[2][0].isdigit() else "%B %d %Y")
        numbers = [int(row[5]), int(row[6]), int(row[7])]
        quantity = float(row[9]) if row[9] else None
        value = float(row[11]) if row[11] else None
        sheet.append([row[0], row[1], day, row[3], row[4], *numbers, row[8] or None, quantity, row[10] or None, value])
    second = book.create_sheet("ignored")
    second.append(["not", "read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


RENDERINGS = {
    "utf8.csv": lambda: UTF8_CSV.encode("utf-8"),
    "utf8-bom.csv": lambda: b"\xef\xbb\xbf" + UTF8_CSV.replace("\n", "\r\n").encode("utf-8"),
    "european.csv": lambda: CP1252_SEMICOLON.encode("cp1252"),
    "iso3.tsv": utf16_tsv,
    "operations.xlsx": workbook,
}


def totals(engine: Engine) -> dict[str, object]:
    """Summary totals of everything stored."""
    return queries.summary(queries.load_frame(engine), queries.Filter(), None)["totals"]  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_every_rendering_imports_to_the_same_hand_checked_totals(
    engine: Engine, vocabulary: Vocabulary, name: str
) -> None:
    report = import_bytes(engine, RENDERINGS[name](), name, vocabulary)
    assert report.errors == []
    assert (report.rows_read, report.imported, report.rejected, report.exit_code) == (10, 10, 0, 0)
    assert totals(engine) == pytest.approx(EXPECTED_TOTALS)


def test_detection_reports_encoding_delimiter_and_conventions(engine: Engine, vocabulary: Vocabulary) -> None:
    european = import_bytes(engine, CP1252_SEMICOLON.encode("cp1252"), "european.csv", vocabulary, dry_run=True)
    assert european.detected == {"encoding": "cp1252", "delimiter": "semicolon", "kind": "text",
                                 "dayfirst": True, "decimal_comma": True}
    tsv = import_bytes(engine, utf16_tsv(), "iso3.tsv", vocabulary, dry_run=True)
    assert (tsv.detected["encoding"], tsv.detected["delimiter"]) == ("utf-16", "tab")
    book = import_bytes(engine, workbook(), "operations.xlsx", vocabulary, dry_run=True)
    assert (book.detected["kind"], book.detected["decimal_comma"]) == ("xlsx", False)


def test_renderings_share_keys_so_a_second_rendering_only_updates_what_differs(
    engine: Engine, vocabulary: Vocabulary
) -> None:
    first = import_bytes(engine, UTF8_CSV.encode(), "utf8.csv", vocabulary)
    again = import_bytes(engine, CP1252_SEMICOLON.encode("cp1252"), "european.csv", vocabulary)
    # R01-R08 differ in notes or lead agency; R09 and R10 are identical in both files.
    assert (first.imported, again.imported, again.updated, again.unchanged) == (10, 0, 8, 2)
    assert again.updated_from_batches == [first.batch_id]
    assert totals(engine) == pytest.approx(EXPECTED_TOTALS)
