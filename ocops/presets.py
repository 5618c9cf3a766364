"""Saved column mappings ("presets"), offered again for files with the same headers.

Presets live in the store (table ``presets``) so every replica sees them;
the project also ships presets for known national formats in ``data/presets``
(JSON: ``{"name": ..., "headers": [...], "mapping": {...}}`` or a bare mapping).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ocops.config import DATA_DIR
from ocops.errors import MappingError
from ocops.ingest.mapping import Mapping
from ocops.models import Preset, utcnow

SHIPPED_DIR = DATA_DIR / "presets"


@dataclass(frozen=True)
class PresetInfo:
    """A preset as the upload page offers it."""

    name: str
    headers: tuple[str, ...]
    mapping: Mapping
    shipped: bool = False

    def fits(self, headers: list[str]) -> bool:
        """Whether this preset was made for a file with these headers."""
        if self.headers:
            return set(self.headers) == set(headers)
        return bool(self.mapping.columns) and set(self.mapping.columns) <= set(headers)


def save_preset(engine: Engine, name: str, headers: list[str], mapping: Mapping) -> PresetInfo:
    """Save (or replace) a preset under ``name``."""
    name = " ".join(name.split())
    if not name:
        raise MappingError("Give the preset a name.")
    Mapping.from_data(mapping.to_data())  # validates
    table = Preset.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    values = {"headers": json.dumps(list(headers), ensure_ascii=False), "mapping": mapping.to_json(),
              "created_at": utcnow()}
    with engine.begin() as conn:
        exists = conn.execute(sa.select(table.c.id).where(table.c.name == name)).first()
        if exists:
            conn.execute(table.update().where(table.c.name == name).values(**values))
        else:
            conn.execute(table.insert().values(name=name, **values))
    return PresetInfo(name, tuple(headers), mapping)


def delete_preset(engine: Engine, name: str) -> bool:
    """Delete a saved preset; False if there was none of that name."""
    table = Preset.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    with engine.begin() as conn:
        return conn.execute(table.delete().where(table.c.name == name)).rowcount > 0


def shipped_presets(folder: Path = SHIPPED_DIR) -> list[PresetInfo]:
    """The presets that come with ocops (for national formats such as the Toronto files)."""
    found: list[PresetInfo] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "mapping" in data:
            mapping = Mapping.from_data(data["mapping"], origin=f"preset {path.name}")
            name = str(data.get("name") or path.stem)
            headers = tuple(str(h) for h in data.get("headers", []))
        else:
            mapping, name, headers = Mapping.from_data(data, origin=f"preset {path.name}"), path.stem, ()
        found.append(PresetInfo(name, headers, mapping, shipped=True))
    return found


def list_presets(engine: Engine, folder: Path = SHIPPED_DIR) -> list[PresetInfo]:
    """Saved presets (newest first), then the shipped ones."""
    table = Preset.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.name, table.c.headers, table.c.mapping)
                            .order_by(table.c.created_at.desc())).all()
    saved = [PresetInfo(r.name, tuple(json.loads(r.headers)), Mapping.from_json(r.mapping)) for r in rows]
    return saved + [p for p in shipped_presets(folder) if p.name not in {s.name for s in saved}]


def presets_for(engine: Engine, headers: list[str], folder: Path = SHIPPED_DIR) -> list[PresetInfo]:
    """The presets that fit a file with these headers."""
    return [p for p in list_presets(engine, folder) if p.fits(headers)]
