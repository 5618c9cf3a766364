"""Crime-area taxonomy and seizure units (CONTRACT sections 1 and 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocops.errors import DataFileError
from ocops.taxonomy import Unit, load_taxonomy, normalise_unit

AREAS = (
    "Drug trafficking",
    "Trafficking in human beings",
    "People smuggling",
    "Firearms trafficking",
    "Illicit goods and counterfeiting",
    "Environmental crime",
    "Cultural heritage crime",
    "Vehicle crime",
    "Financial crime and money laundering",
    "Cybercrime",
    "Terrorism",
    "Fugitives",
    "Illegal gambling and match-fixing",
    "Maritime crime",
    "Document fraud",
    "Other",
)

DRUGS, THB, SMUGGLING, FIREARMS, GOODS, ENVIRONMENT, HERITAGE, VEHICLES = AREAS[:8]
FINANCE, CYBER, TERROR, FUGITIVES, GAMBLING, MARITIME, DOCUMENTS, OTHER = AREAS[8:]

ALIASES = [
    ("narcotics", DRUGS),
    ("drugs", DRUGS),
    ("drug trafficking", DRUGS),
    ("Illicit Drugs", DRUGS),
    ("cocaine trafficking", DRUGS),
    ("Controlled Drugs and Substances Act", DRUGS),
    ("human trafficking", THB),
    ("trafficking in persons", THB),
    ("THB", THB),
    ("TIP", THB),
    ("forced labour", THB),
    ("sexual exploitation", THB),
    ("migrant smuggling", SMUGGLING),
    ("smuggling of migrants", SMUGGLING),
    ("people smugglers", SMUGGLING),
    ("firearms", FIREARMS),
    ("Firearm-Related", FIREARMS),
    ("weapons trafficking", FIREARMS),
    ("illicit arms", FIREARMS),
    ("counterfeit goods", GOODS),
    ("counterfeiting", GOODS),
    ("illicit goods", GOODS),
    ("pharmaceutical crime", GOODS),
    ("counterfeit medicines", GOODS),
    ("fake medicines", GOODS),
    ("wildlife", ENVIRONMENT),
    ("wildlife crime", ENVIRONMENT),
    ("forestry crime", ENVIRONMENT),
    ("illegal logging", ENVIRONMENT),
    ("fisheries crime", ENVIRONMENT),
    ("pollution crime", ENVIRONMENT),
    ("environmental security", ENVIRONMENT),
    ("cultural property", HERITAGE),
    ("works of art", HERITAGE),
    ("stolen art", HERITAGE),
    ("stolen motor vehicles", VEHICLES),
    ("stolen vehicles", VEHICLES),
    ("vehicle theft", VEHICLES),
    ("car theft", VEHICLES),
    ("money laundering", FINANCE),
    ("financial crime", FINANCE),
    ("fraud", FINANCE),
    ("cyber crime", CYBER),
    ("cyber-enabled crime", CYBER),
    ("terrorism", TERROR),
    ("counter-terrorism", TERROR),
    ("fugitive investigations", FUGITIVES),
    ("fugitives", FUGITIVES),
    ("wanted persons", FUGITIVES),
    ("illegal gambling", GAMBLING),
    ("illegal betting", GAMBLING),
    ("match-fixing", GAMBLING),
    ("match fixing", GAMBLING),
    ("maritime piracy", MARITIME),
    ("piracy at sea", MARITIME),
    ("document fraud", DOCUMENTS),
    ("identity fraud", DOCUMENTS),
    ("fraudulent travel documents", DOCUMENTS),
    ("other", OTHER),
    ("miscellaneous", OTHER),
    ("not specified", OTHER),
    # canonical names and variants of case, accents, punctuation, spacing, number
    ("  DRUG   trafficking ", DRUGS),
    ("Cultural Héritage Crime", HERITAGE),
    ("Financial crime & money laundering", FINANCE),
    ("Illegal gambling and match fixing", GAMBLING),
    ("Cybercrimes", CYBER),
    ("fugitive", FUGITIVES),
    ("stolen vehicle", VEHICLES),
    ("wildlife crimes", ENVIRONMENT),
]


def test_default_file_lists_the_sixteen_areas_in_contract_order() -> None:
    assert load_taxonomy().areas == AREAS


@pytest.mark.parametrize(("value", "expected"), ALIASES)
def test_alias_resolves_to_its_area(value: str, expected: str) -> None:
    assert load_taxonomy().resolve(value) == expected


@pytest.mark.parametrize("value", ["trafficking", "smuggling", "Atlantis", "", "   ", "organised crime"])
def test_ambiguous_or_unknown_values_do_not_resolve(value: str) -> None:
    assert load_taxonomy().resolve(value) is None


def test_misspelling_suggests_the_intended_area_first() -> None:
    assert load_taxonomy().suggest("drug traficking")[0] == DRUGS


def test_shared_words_suggest_vehicle_crime() -> None:
    assert VEHICLES in load_taxonomy().suggest("stolen cars")
    assert load_taxonomy().suggest("stolen car parts")[0] == VEHICLES


def test_ambiguous_word_suggests_the_areas_it_belongs_to() -> None:
    assert {DRUGS, THB, FIREARMS} == set(load_taxonomy().suggest("trafficking"))
    assert SMUGGLING in load_taxonomy().suggest("smuggling")


def test_unrelated_value_still_gets_suggestions_led_by_other() -> None:
    suggestions = load_taxonomy().suggest("Atlantis", limit=2)
    assert len(suggestions) == 2
    assert suggestions[0] == OTHER


def test_blank_value_gets_no_suggestions() -> None:
    assert load_taxonomy().suggest("  ") == []


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "areas.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_alias_claimed_by_two_areas_is_named_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "area,aliases\nDrugs,narcotics|dope\nVice,gambling|Dope\n")
    with pytest.raises(DataFileError) as raised:
        load_taxonomy(path)
    message = str(raised.value)
    assert "'Dope'" in message
    assert "line 3" in message
    assert "areas.csv" in message


def test_missing_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="line 1"):
        load_taxonomy(_write(tmp_path, "Drugs,narcotics\n"))


def test_empty_area_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="line 3: the area name is empty"):
        load_taxonomy(_write(tmp_path, "area,aliases\nDrugs,narcotics\n,orphan\n"))


def test_deployment_file_extends_the_taxonomy(tmp_path: Path) -> None:
    taxonomy = load_taxonomy(_write(tmp_path, "area,aliases\nDrugs,narcotics\nBurglary,break and enter|B&E\n"))
    assert taxonomy.areas == ("Drugs", "Burglary")
    assert taxonomy.resolve("Break-and-Enter") == "Burglary"
    assert taxonomy.resolve("b & e") == "Burglary"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("t", Unit("kg", 1000)),
        ("tonnes", Unit("kg", 1000)),
        ("tons", Unit("kg", 1000)),
        ("kg", Unit("kg", 1)),
        ("Kg.", Unit("kg", 1)),
        ("KGS", Unit("kg", 1)),
        ("kilos", Unit("kg", 1)),
        ("g", Unit("kg", 0.001)),
        ("grams", Unit("kg", 0.001)),
        ("lb", Unit("kg", 0.45359237)),
        ("lbs", Unit("kg", 0.45359237)),
        ("ml", Unit("l", 0.001)),
        ("Litres", Unit("l", 1)),
        ("ltr", Unit("l", 1)),
        ("pcs", Unit("items", 1)),
        ("heads", Unit("items", 1)),
        ("No.", Unit("items", 1)),
        (" units ", Unit("items", 1)),
    ],
)
def test_units_normalise_to_kg_litres_or_items(unit: str, expected: Unit) -> None:
    assert normalise_unit(unit) == expected


@pytest.mark.parametrize("unit", ["bananas", "", "gallons"])
def test_unknown_units_are_none(unit: str) -> None:
    assert normalise_unit(unit) is None
