"""Mapping presets: saved in the store (both stores), matched by headers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ocops.errors import MappingError
from ocops.ingest.mapping import Mapping
from ocops.presets import delete_preset, list_presets, presets_for, save_preset, shipped_presets

HEADERS = ["_id", "ARREST_YEAR", "ARREST_COUNT", "CATEGORY"]
MAPPING = Mapping(columns={"ARREST_YEAR": "date", "ARREST_COUNT": "arrests"},
                  constants={"country": "Canada", "operation": "Toronto annual arrests"},
                  values={"crime_area": {"Crimes Against the Person": "Other"}})


def test_save_find_replace_and_delete(engine: Engine, tmp_path: Path) -> None:
    save_preset(engine, "  Toronto   arrests ", HEADERS, MAPPING)
    found = presets_for(engine, list(reversed(HEADERS)), folder=tmp_path)
    assert [p.name for p in found] == ["Toronto arrests"]
    assert found[0].mapping == MAPPING
    assert presets_for(engine, HEADERS + ["EXTRA"], folder=tmp_path) == []
    save_preset(engine, "Toronto arrests", HEADERS, Mapping(dayfirst=True))
    assert [p.mapping.dayfirst for p in list_presets(engine, folder=tmp_path)] == [True]
    assert delete_preset(engine, "Toronto arrests") is True
    assert delete_preset(engine, "Toronto arrests") is False
    assert list_presets(engine, folder=tmp_path) == []


def test_a_preset_needs_a_name(engine: Engine) -> None:
    with pytest.raises(MappingError, match="Give the preset a name."):
        save_preset(engine, "  ", HEADERS, MAPPING)


def test_shipped_presets_fit_by_headers_or_by_mapped_columns(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "with_headers.json").write_text(json.dumps(
        {"name": "Full", "headers": HEADERS, "mapping": MAPPING.to_data()}))
    (tmp_path / "bare.json").write_text(json.dumps(MAPPING.to_data()))
    assert [p.name for p in shipped_presets(tmp_path)] == ["bare", "Full"]
    assert [p.name for p in presets_for(engine, HEADERS, folder=tmp_path)] == ["bare", "Full"]
    assert [p.name for p in presets_for(engine, ["ARREST_YEAR", "ARREST_COUNT", "X"], folder=tmp_path)] == ["bare"]
    assert presets_for(engine, ["other"], folder=tmp_path) == []
