"""Several seized quantities per record: import with ``quantities``, per-item figures, exports,
undo by batch membership, removed batches kept, and the 0002 migration of a populated store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from ocops import cli, queries
from ocops.errors import BadFilter, BatchAlreadyRemoved, MappingError
from ocops.geo import CountryIndex
from ocops.importer import Vocabulary, import_bytes, list_batches, remove_batch
from ocops.ingest.mapping import Mapping
from ocops.store import MIGRATIONS_DIR, make_engine, open_store

SEIZURES_FILE = (
    "operation,date,country,crime_area,seizures,arrests,Cocaine (kg),Heroin (g),Guns,Cocaine value,Other item,Other qty\n"
    "Op A,2019-01-10,Colombia,drugs,2,5,100,,3,2000000,,\n"
    "Op A,2019-01-11,Peru,drugs,1,2,50.5,500,,,,\n"
    "Op B,2019-02-01,Kenya,firearms,4,1,,,12,,Solar panels,7\n"
    "Op B,2019-02-02,Kenya,firearms,1,0,0,,,,,\n"
)
SEIZURES_MAPPING = {"quantities": [
    {"quantity": "Cocaine (kg)", "unit": "kg", "item": "cocaine", "value_usd": "Cocaine value"},
    {"quantity": "Heroin (g)", "unit": "g", "item": "heroin"},
    {"quantity": "Guns", "unit": "pcs", "item": "pistols"},
    {"quantity": "Other qty", "unit": "items", "item_column": "Other item"},
]}
# Hand-computed from SEIZURES_FILE: row 4's zero cocaine adds nothing.
BY_ITEM = [
    {"key": "Cocaine", "records": 2, "operations": 1, "countries": 2, "seizures": 3,
     "seized_value_usd": 2000000.0, "seized_kg": 150.5, "seized_l": 0.0, "seized_items": 0},
    {"key": "Firearms", "records": 2, "operations": 2, "countries": 2, "seizures": 6,
     "seized_value_usd": 0.0, "seized_kg": 0.0, "seized_l": 0.0, "seized_items": 15},
    {"key": "Heroin", "records": 1, "operations": 1, "countries": 1, "seizures": 1,
     "seized_value_usd": 0.0, "seized_kg": 0.5, "seized_l": 0.0, "seized_items": 0},
    {"key": "Other", "records": 1, "operations": 1, "countries": 1, "seizures": 4,
     "seized_value_usd": 0.0, "seized_kg": 0.0, "seized_l": 0.0, "seized_items": 7},
]


def _cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, Any]:
    code = cli.main(["--db", url, *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith(("{", "[")) else out


def _import_seizures(tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, text: str = SEIZURES_FILE) -> Any:
    data, mapping = tmp_path / "seizures.csv", tmp_path / "seizures.json"
    data.write_text(text, encoding="utf-8")
    mapping.write_text(json.dumps(SEIZURES_MAPPING), encoding="utf-8")
    return _cli(capsys, url, "import", str(data), "--mapping", str(mapping))


def test_several_quantity_columns_import_and_sum_per_item(store_url: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _import_seizures(tmp_path, capsys, store_url)
    assert code == 0
    assert (report["imported"], report["rejected"], report["unknown_items"]) == (4, 0, ["Solar panels"])
    assert "Cocaine (kg)" not in report["ignored_columns"] and report["ignored_columns"] == []
    code, result = _cli(capsys, store_url, "summary", "--by", "seized_item")
    assert code == 0
    assert result["totals"] == {"records": 4, "operations": 2, "countries": 3, "arrests": 8, "seizures": 8,
                                "victims_rescued": 0, "seized_value_usd": 2000000.0, "seized_kg": 151.0,
                                "seized_l": 0.0, "seized_items": 22}
    assert result["groups"] == BY_ITEM
    code, result = _cli(capsys, store_url, "summary", "--seized-item", "COCAINE HCl")
    assert result["filters"] == {"seized_item": ["Cocaine"]}
    assert result["totals"] == {"records": 2, "operations": 1, "countries": 2, "arrests": 7, "seizures": 3,
                                "victims_rescued": 0, "seized_value_usd": 2000000.0, "seized_kg": 150.5,
                                "seized_l": 0.0, "seized_items": 0}
    code, result = _cli(capsys, store_url, "summary", "--seized-item", "cocaine", "--seized-item", "guns",
                        "--by", "seized_item")
    assert (result["totals"]["records"], result["totals"]["seized_kg"], result["totals"]["seized_items"]) == (3, 150.5, 15)
    assert [g["key"] for g in result["groups"]] == ["Cocaine", "Firearms"]
    code, _ = _cli(capsys, store_url, "summary", "--seized-item", "cocain")
    assert code == 2  # the message: test_unknown_item_filter_is_a_plain_error


def test_unknown_item_filter_is_a_plain_error(countries: CountryIndex, vocabulary: Vocabulary) -> None:
    with pytest.raises(BadFilter, match=r"^Unknown seized item 'cocain': did you mean Cocaine\? Items the vocabulary "
                                        r"does not know are counted under 'Other'\.$"):
        queries.make_filter(countries, vocabulary.taxonomy, seized_items=["cocain"])


def test_export_keeps_every_quantity(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import_seizures(tmp_path, capsys, store_url)
    code, rows = _cli(capsys, store_url, "export", "--country", "COL")
    assert code == 0 and len(rows) == 1
    assert (rows[0]["seized_item"], rows[0]["seized_quantity"], rows[0]["seized_unit"],
            rows[0]["seized_value_usd"]) == ("cocaine", 100.0, "kg", 2000000.0)
    assert [(q["item"], q["item_group"], q["quantity"], q["unit"], q["kind"], q["amount"], q["value_usd"])
            for q in rows[0]["quantities"]] == [("cocaine", "Cocaine", 100.0, "kg", "kg", 100.0, 2000000.0),
                                                ("pistols", "Firearms", 3.0, "pcs", "items", 3.0, None)]
    code, text = _cli(capsys, store_url, "export", "--seized-item", "heroin", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["country"], row["seized_item"], row["seized_quantity"], row["seized_item_2"],
            row["seized_quantity_2"], row["seized_unit_2"]) == ("PER", "cocaine", "50.5", "heroin", "500.0", "g")
    header = next(csv.reader(io.StringIO(text)))
    start = header.index("seized_value_usd")
    assert header[start + 1:start + 5] == ["seized_item_2", "seized_quantity_2", "seized_unit_2", "seized_value_usd_2"]


def test_a_changed_quantity_updates_and_its_removal_restores_it(store_url: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _import_seizures(tmp_path, capsys, store_url)
    _code, again = _import_seizures(tmp_path, capsys, store_url)
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 4)
    _code, changed = _import_seizures(tmp_path, capsys, store_url, SEIZURES_FILE.replace(",100,,3,", ",100,,4,"))
    assert (changed["imported"], changed["updated"], changed["unchanged"]) == (0, 1, 3)
    assert _cli(capsys, store_url, "summary", "--seized-item", "firearms")[1]["totals"]["seized_items"] == 16
    _cli(capsys, store_url, "remove-batch", str(changed["batch_id"]))
    assert _cli(capsys, store_url, "summary", "--seized-item", "firearms")[1]["totals"]["seized_items"] == 15


def test_mapping_quantities_are_checked() -> None:
    with pytest.raises(MappingError, match=r"^the mapping: 'quantities' entry 1 has a quantity without a unit: "
                                           r"give 'unit' \(use kg, g, t, lb, l, ml or items\) or 'unit_column'\.$"):
        Mapping.from_data({"quantities": [{"quantity": "Live animals", "item": "pangolins"}]})
    with pytest.raises(MappingError, match=r"^the mapping: 'quantities' entry 1: unknown unit 'bags': "):
        Mapping.from_data({"quantities": [{"quantity": "Bags", "unit": "bags"}]})
    mapping = Mapping.from_data(SEIZURES_MAPPING)
    assert Mapping.from_data(mapping.to_data()).to_data() == SEIZURES_MAPPING


# Three batches; a record stays while any remaining batch holds it, with the latest one's values.
HEADER = "record_id,operation,date,country,crime_area,arrests,seized_item,seized_quantity,seized_unit\n"
BATCHES = {
    "A": HEADER + "K1,Op,2019-01-01,BRA,drugs,10,cocaine,1,kg\nK2,Op,2019-01-02,COL,drugs,20,cocaine,2,kg\n",
    "B": HEADER + "K1,Op,2019-01-01,BRA,drugs,10,cocaine,1,kg\nK2,Op,2019-01-02,COL,drugs,21,cocaine,4,kg\n"
                  "K3,Op,2019-02-01,PER,drugs,5,heroin,5,kg\n",
    "C": HEADER + "K1,Op,2019-01-01,BRA,drugs,12,cocaine,3,kg\nK3,Op,2019-02-01,PER,drugs,5,heroin,5,kg\n",
}
# (records, arrests, kg) for each set of remaining batches, by hand:
# K1 = A:10/1kg, B:10/1kg, C:12/3kg; K2 = A:20/2kg, B:21/4kg; K3 = B:5/5kg, C:5/5kg.
STATES = {
    "ABC": (3, 12 + 21 + 5, 3 + 4 + 5), "BC": (3, 12 + 21 + 5, 3 + 4 + 5), "AC": (3, 12 + 20 + 5, 3 + 2 + 5),
    "AB": (3, 10 + 21 + 5, 1 + 4 + 5), "A": (2, 10 + 20, 1 + 2), "B": (3, 10 + 21 + 5, 1 + 4 + 5),
    "C": (2, 12 + 5, 3 + 5), "": (0, 0, 0),
}


def _state(engine: Engine) -> tuple[int, int, float]:
    totals = queries.totals(queries.load_frame(engine))
    return totals["records"], totals["arrests"], totals["seized_kg"]


@pytest.mark.parametrize("order", list(itertools.permutations("ABC")))
def test_every_removal_order_keeps_records_while_a_batch_holds_them(
    engine: Engine, vocabulary: Vocabulary, order: tuple[str, ...]
) -> None:
    ids = {name: import_bytes(engine, text.encode(), f"{name}.csv", vocabulary).batch_id
           for name, text in BATCHES.items()}
    remaining = "ABC"
    assert _state(engine) == STATES[remaining]
    for name in order:
        remove_batch(engine, ids[name])  # type: ignore[arg-type]
        remaining = remaining.replace(name, "")
        assert _state(engine) == STATES[remaining], f"after removing {' '.join(order)} up to {name}"
    with engine.connect() as conn:
        left = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("records", "record_history", "quantities", "record_batches")]
    assert left == [0, 0, 0, 0]


def test_removed_batches_stay_listed_and_numbers_are_never_reused(engine: Engine, vocabulary: Vocabulary) -> None:
    first = import_bytes(engine, BATCHES["A"].encode(), "a.csv", vocabulary).batch_id
    second = import_bytes(engine, BATCHES["C"].encode(), "c.csv", vocabulary).batch_id
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    remove_batch(engine, second, user="alice")  # type: ignore[arg-type]
    third = import_bytes(engine, BATCHES["B"].encode(), "b.csv", vocabulary).batch_id
    assert (first, second, third) == (1, 2, 3)
    listed = {b["batch_id"]: b for b in list_batches(engine)}
    assert [(b["batch_id"], b["filename"], b["removed_by"]) for b in list_batches(engine)] == [
        (3, "b.csv", None), (2, "c.csv", "alice"), (1, "a.csv", None)]
    removed_at = dt.datetime.fromisoformat(str(listed[2]["removed_at"]).replace(" ", "T"))
    assert before <= removed_at.replace(microsecond=0) <= dt.datetime.now(dt.UTC)
    with pytest.raises(BatchAlreadyRemoved, match=r"^Batch 2 \(c\.csv\) was already removed on \d{4}-\d\d-\d\d "
                                                  r"\d\d:\d\d UTC by alice: nothing to undo\."):
        remove_batch(engine, 2)


def _upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_migration_moves_seized_values_into_quantities(store_url: str, countries: CountryIndex,
                                                       vocabulary: Vocabulary) -> None:
    """A store created at 0001 with data in it: quantities, history and undo survive the upgrade."""
    engine = make_engine(store_url)
    _upgrade_to(engine, "0001")
    now = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    values = ("record_id, operation, date, country, country_name, crime_area, arrests, seizures, victims_rescued, "
              "seized_item, seized_quantity, seized_unit, seized_kind, seized_amount, seized_value_usd, key, value_hash, "
              "batch_id")
    with engine.begin() as conn:
        for number in (1, 2):
            conn.execute(sa.text("INSERT INTO batches (filename, sha256, \"user\", rows_read, imported, updated, "
                                 "unchanged, rejected, created_at) VALUES (:f, :s, 'bob', 2, 2, 0, 0, 0, :t)"),
                         {"f": f"b{number}.csv", "s": "0" * 64, "t": now})
        insert = f"INSERT INTO {{table}} ({values}{{extra}}) VALUES ({', '.join(':' + v.strip() for v in values.split(','))}{{marks}})"
        rows = [
            ("records", {"record_id": "K1", "arrests": 3, "seized_item": "Cocaine HCl", "seized_quantity": 2000.0,
                         "seized_unit": "g", "seized_kind": "kg", "seized_amount": 2.0, "seized_value_usd": 1000.0,
                         "value_hash": "h-new", "batch_id": 2}),
            ("record_history", {"record_id": "K1", "arrests": 1, "seized_item": "cocaine", "seized_quantity": 1.0,
                                "seized_unit": "kg", "seized_kind": "kg", "seized_amount": 1.0,
                                "seized_value_usd": 500.0, "value_hash": "h-old", "batch_id": 1}),
            ("records", {"record_id": "K2", "arrests": 4, "seized_item": "AK-47 rifles", "seized_quantity": 3.0,
                         "seized_unit": "pcs", "seized_kind": "items", "seized_amount": 3.0, "seized_value_usd": None,
                         "value_hash": "h-k2", "batch_id": 1}),
            ("records", {"record_id": "K3", "arrests": 5, "seized_item": None, "seized_quantity": None,
                         "seized_unit": None, "seized_kind": None, "seized_amount": None, "seized_value_usd": None,
                         "value_hash": "h-k3", "batch_id": 1}),
        ]
        for table, row in rows:
            params = {"operation": "Op", "date": dt.date(2019, 1, 1), "country": "COL", "country_name": "Colombia",
                      "crime_area": "Drug trafficking", "seizures": 1, "victims_rescued": 0,
                      "key": "id:" + row["record_id"], **row}
            extra, marks = (", superseded_by", ", 2") if table == "record_history" else ("", "")
            conn.execute(sa.text(insert.format(table=table, extra=extra, marks=marks)), params)
    engine.dispose()

    engine = open_store(store_url)  # upgrades to head
    try:
        with engine.connect() as conn:
            moved = conn.execute(sa.text("SELECT item, item_group, quantity, unit, kind, amount, value_usd "
                                         "FROM quantities ORDER BY value_usd, item")).all()
        assert sorted(moved, key=str) == sorted([
            ("Cocaine HCl", "Cocaine", 2000.0, "g", "kg", 2.0, 1000.0),
            ("cocaine", "Cocaine", 1.0, "kg", "kg", 1.0, 500.0),
            ("AK-47 rifles", "Other", 3.0, "pcs", "items", 3.0, None)], key=str)
        frame = queries.load_frame(engine)
        result = queries.summary(frame, queries.Filter(), countries, by="seized_item")
        assert (result["totals"]["records"], result["totals"]["arrests"], result["totals"]["seized_kg"],
                result["totals"]["seized_items"], result["totals"]["seized_value_usd"]) == (3, 12, 2.0, 3, 1000.0)
        assert [(g["key"], g["records"], g["seized_kg"], g["seized_items"]) for g in result["groups"]] == [
            ("Cocaine", 1, 2.0, 0), ("Other", 1, 0.0, 3)]
        exported = queries.records(engine, queries.Filter(), countries)
        first = exported[exported["record_id"] == "K1"].iloc[0]
        assert (first["seized_item"], first["seized_quantity"], first["seized_unit"]) == ("Cocaine HCl", 2000.0, "g")
        assert [b["removed_at"] for b in list_batches(engine)] == [None, None]
        removal = remove_batch(engine, 2, user="carol")  # K1 returns to batch 1's values and quantity
        assert (removal.removed, removal.restored) == (0, 1)
        totals = queries.totals(queries.load_frame(engine))
        assert (totals["arrests"], totals["seized_kg"], totals["seized_value_usd"]) == (1 + 4 + 5, 1.0, 500.0)
        new = HEADER + "K9,Op,2019-01-01,BRA,drugs,1,cocaine,2,kg\n"
        report = import_bytes(engine, new.encode(), "new.csv", vocabulary)  # versions go on from the old ones
        assert (report.batch_id, report.imported) == (3, 1)
        assert queries.totals(queries.load_frame(engine))["seized_kg"] == 1.0 + 2
    finally:
        engine.dispose()


def test_the_sample_loads_with_its_second_quantities(engine: Engine, vocabulary: Vocabulary,
                                                     countries: CountryIndex) -> None:
    """The 2018 headline: 55 tonnes of narcotics, split by drug as data/README.md says."""
    from ocops.config import DATA_DIR
    from ocops.importer import load_sample_if_empty

    report = load_sample_if_empty(engine, DATA_DIR / "sample_operations.csv", vocabulary)
    assert report is not None and (report.imported, report.rejected, report.unknown_items) == (468, 0, ["computers", "cryptocurrency", "gold", "live birds", "mobile phones"])
    flt = queries.Filter(operations=("Global drug trafficking operation (Oct 2018)",))
    result = queries.summary(queries.load_frame(engine), flt, countries, by="seized_item")
    assert result["totals"]["seized_kg"] == 55000.0
    assert {g["key"]: g["seized_kg"] for g in result["groups"]} == {
        "Cocaine": 24000.0, "Cannabis resin": 13500.0, "Cannabis herb": 10500.0, "Methamphetamine": 4500.0,
        "Heroin": 1500.0, "Opium": 500.0, "MDMA": 500.0}


def test_the_export_and_the_frame_agree_on_an_item_filter(store_url: str, tmp_path: Path, countries: CountryIndex,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The store-side filter of the export (SQL EXISTS on quantities) and the in-memory one select
    the same records."""
    _import_seizures(tmp_path, capsys, store_url)
    engine = open_store(store_url)
    try:
        flt = queries.Filter(seized_items=("Cocaine",))
        exported = queries.records(engine, flt, countries)
        assert len(exported) == 2
        assert queries.summary(queries.load_frame(engine), flt, countries)["totals"]["records"] == 2
        assert queries.summary(queries.load_frame(engine), flt, countries)["totals"]["seized_kg"] == 150.5
    finally:
        engine.dispose()
