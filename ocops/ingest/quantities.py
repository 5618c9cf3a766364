"""Several seized quantities per row: the mapping's ``quantities`` key and the quantity table.

A row gives at most one quantity through the canonical ``seized_*`` columns, and
any number through a mapping's ``quantities`` entries (CONTRACT.md section 2)::

    {"quantities": [{"quantity": "Live animals", "unit": "heads", "item": "pangolins"},
                    {"quantity": "Scales (kg)", "unit": "kg", "item": "pangolin scales",
                     "value_usd": "Value"}]}

``quantity`` and ``value_usd`` name columns; ``unit`` / ``item`` are fixed values,
``unit_column`` / ``item_column`` name columns to read them from. Empty or zero
quantities add nothing. Items are matched to the seized-item vocabulary; an unknown
item is kept as written, counts under "Other" and is listed in the report.

The canonical columns keep feeding a row's key and value hash exactly as before;
a ``quantities`` entry adds its item and unit columns to the key and its values to
the value hash, so that a changed quantity updates the record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ocops.errors import MappingError
from ocops.ingest.numbers import parse_numbers
from ocops.taxonomy import normalise_unit

if TYPE_CHECKING:  # the normaliser imports this module
    from ocops.ingest.normalise import Normaliser, Text

SPEC_KEYS = ("quantity", "unit", "unit_column", "item", "item_column", "value_usd")
QUANTITY_COLUMNS: tuple[str, ...] = ("row", "position", "item", "item_group", "quantity", "unit", "kind",
                                     "amount", "value_usd")
UNIT_HELP = "use kg, g, t, lb, l, ml or items"


@dataclass(frozen=True)
class QuantitySpec:
    """One ``quantities`` entry of a mapping."""

    quantity: str | None = None
    unit: str | None = None
    unit_column: str | None = None
    item: str | None = None
    item_column: str | None = None
    value_usd: str | None = None

    def columns(self) -> list[str]:
        """The source columns this entry reads."""
        return [c for c in (self.quantity, self.unit_column, self.item_column, self.value_usd) if c]

    def to_data(self) -> dict[str, str]:
        """JSON-ready form without empty parts."""
        return {k: v for k in SPEC_KEYS if (v := getattr(self, k))}


def parse_quantities(value: Any, origin: str) -> list[QuantitySpec]:
    """Validate a mapping's ``quantities`` list; raises MappingError saying what to fix."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(f"{origin}: 'quantities' must be a list of objects such as "
                           '{"quantity": "Live animals", "unit": "heads", "item": "pangolins"}.')
    specs = []
    for number, entry in enumerate(value, start=1):
        where = f"{origin}: 'quantities' entry {number}"
        if not isinstance(entry, dict):
            raise MappingError(f"{where} must be an object with quantity, unit and item.")
        unknown = sorted(set(entry) - set(SPEC_KEYS))
        if unknown:
            raise MappingError(f"{where} has unknown keys {unknown}: use {', '.join(SPEC_KEYS)}.")
        spec = QuantitySpec(**{k: None if entry.get(k) is None else str(entry[k]).strip() or None for k in SPEC_KEYS})
        if not (spec.quantity or spec.value_usd):
            raise MappingError(f"{where} names no column: give 'quantity' (and/or 'value_usd').")
        for fixed, column in (("unit", "unit_column"), ("item", "item_column")):
            if getattr(spec, fixed) and getattr(spec, column):
                raise MappingError(f"{where} gives both '{fixed}' and '{column}': keep one.")
        if spec.quantity and not (spec.unit or spec.unit_column):
            raise MappingError(f"{where} has a quantity without a unit: give 'unit' ({UNIT_HELP}) or 'unit_column'.")
        if spec.unit and normalise_unit(spec.unit) is None:
            raise MappingError(f"{where}: unknown unit '{spec.unit}': {UNIT_HELP}.")
        specs.append(spec)
    return specs


def quantity_columns(specs: list[QuantitySpec]) -> list[str]:
    """Every source column the entries read (taken out of automatic matching and the unmapped columns)."""
    return list(dict.fromkeys(c for spec in specs for c in spec.columns()))


@dataclass
class RowQuantities:
    """Every row's quantities (one source after another) and what keys and hashes add."""

    columns: dict[str, np.ndarray]
    key_texts: list[Text] = field(default_factory=list)
    key_header: list[str] = field(default_factory=list)
    hash_texts: list[Text] = field(default_factory=list)

    def kept(self, keep: np.ndarray) -> dict[str, np.ndarray]:
        """The quantities of the kept rows, ``row`` renumbered to positions among them."""
        rows = self.columns["row"]
        chosen = keep[rows]
        out = {name: values[chosen] for name, values in self.columns.items()}
        out["row"] = (np.cumsum(keep) - 1)[rows[chosen]]
        return out

    def unknown_items(self, keep: np.ndarray, known: Any) -> list[str]:
        """Distinct written items of the kept rows that the vocabulary does not know."""
        items = self.columns["item"][keep[self.columns["row"]]]
        written = {str(v) for v in pd.unique(items[items != None])}  # noqa: E711
        return sorted(v for v in written if known(v) is None)


def _part(rows: np.ndarray, position: int, item: np.ndarray, group: np.ndarray, quantity: np.ndarray,
          unit: np.ndarray, kind: np.ndarray, amount: np.ndarray, value: np.ndarray) -> dict[str, np.ndarray]:
    return {"row": rows, "position": np.full(len(rows), position, dtype=np.int64), "item": item,
            "item_group": group, "quantity": quantity, "unit": unit, "kind": kind, "amount": amount,
            "value_usd": value}


def _groups(items: np.ndarray, group_of: Any) -> np.ndarray:
    """The vocabulary item of each written item (None = not given), once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(items, dtype=object), use_na_sentinel=True)
    per_unique = np.array([group_of(v) for v in uniques.tolist()] + [group_of(None)], dtype=object)
    return per_unique[codes]


def _canonical(n: Normaliser) -> dict[str, np.ndarray]:
    out = n.out
    item = out["seized_item"]
    quantity, value = out["seized_quantity"].astype(float), out["seized_value_usd"].astype(float)
    given = (item != None) | ~np.isnan(quantity) | ~np.isnan(value)  # noqa: E711
    rows = np.flatnonzero(given)
    return _part(rows, 0, item[rows], _groups(item[rows], n.items.group), quantity[rows], out["seized_unit"][rows],
                 out["seized_kind"][rows], out["seized_amount"].astype(float)[rows], value[rows])


def _numbers(n: Normaliser, header: str, decimal_comma: bool) -> np.ndarray:
    """A quantity or value column as floats (NaN when empty); bad or negative values reject the row."""
    from ocops.ingest.normalise import Factor

    factor = Factor.of(n.raw.column(header))
    raw = factor.uniques.tolist()
    numbers = parse_numbers(factor.uniques, decimal_comma)
    messages = np.array([None if not v.strip() or (not math.isnan(x) and x >= 0)
                         else (f"{header} '{v}' is not a number" if math.isnan(x)
                               else f"{header} '{v}' is negative: it must be 0 or more")
                         for v, x in zip(raw, numbers.tolist(), strict=True)], dtype=object)
    row_messages = messages[factor.codes]
    n.errors.add(header, factor, row_messages != None, row_messages)  # noqa: E711
    return np.where(messages == None, numbers, np.nan)[factor.codes]  # noqa: E711


def _texts(n: Normaliser, fixed: str | None, column: str | None) -> np.ndarray:
    """A fixed value or a column's values per row (trimmed, inner spaces collapsed; None when empty)."""
    rows = n.raw.rows
    if column:
        values = pd.Series(n.raw.column(column).to_pandas(), dtype=object).fillna("").astype(str)
        cleaned = values.str.split().str.join(" ")
        return cleaned.astype(object).where(cleaned != "", None).to_numpy(dtype=object)
    return np.full(rows, " ".join(fixed.split()) if fixed else None, dtype=object)


def normalise_quantities(n: Normaliser) -> RowQuantities:
    """Every row's quantities: the canonical one, then each ``quantities`` entry of the mapping."""
    from ocops.ingest.normalise import Text

    parts = [_canonical(n)]
    specs: list[QuantitySpec] = n.mapping.quantities
    if not specs:
        return RowQuantities(_concat(parts))
    decimal_comma = bool(n.detected.get("decimal_comma"))
    result = RowQuantities({})
    for position, spec in enumerate(specs, start=1):
        rows_n = n.raw.rows
        quantity = _numbers(n, spec.quantity, decimal_comma) if spec.quantity else np.full(rows_n, np.nan)
        value = _numbers(n, spec.value_usd, decimal_comma) if spec.value_usd else np.full(rows_n, np.nan)
        units = _texts(n, spec.unit, spec.unit_column)
        item = _texts(n, spec.item, spec.item_column)
        found = {u: normalise_unit(u) for u in pd.unique(units[units != None])}  # noqa: E711
        has_quantity = ~np.isnan(quantity) & (quantity > 0)
        unknown = np.array([u is not None and found[u] is None for u in units], dtype=bool) & has_quantity
        missing = np.array([u is None for u in units], dtype=bool) & has_quantity
        shown = units if spec.unit_column else np.full(rows_n, spec.unit or "", dtype=object)
        n.errors.add(spec.unit_column or spec.quantity or "", shown, unknown,
                     np.array([f"unknown unit '{u}': {UNIT_HELP}" for u in units], dtype=object))
        n.errors.add(spec.unit_column or spec.quantity or "", shown, missing,
                     f"{spec.quantity} has no unit: {UNIT_HELP}")
        per_row = [None if u is None else found.get(u) for u in units]
        kind = np.array([None if unit is None else unit.kind for unit in per_row], dtype=object)
        factor = np.array([np.nan if unit is None else unit.factor for unit in per_row], dtype=float)
        adds = has_quantity | (~np.isnan(value) & (value > 0))
        rows = np.flatnonzero(adds)
        amount = np.where(has_quantity & (kind != None), quantity * factor, np.nan)  # noqa: E711
        parts.append(_part(rows, position, item[rows], _groups(item[rows], n.items.group),
                           np.where(has_quantity, quantity, np.nan)[rows], _or_none(has_quantity, units)[rows],
                           _or_none(has_quantity, kind)[rows], amount[rows], value[rows]))
        for column, texts in ((spec.item_column, item), (spec.unit_column, units)):
            if column:
                result.key_texts.append(Text(None, texts))
                result.key_header.append(f"quantities:{column}")
        shown_quantity = ["" if not a else repr(float(q))
                          for a, q in zip(has_quantity.tolist(), quantity.tolist(), strict=True)]
        shown_value = ["" if math.isnan(v) else repr(float(v)) for v in value.tolist()]
        result.hash_texts += [Text(None, _or_none(adds, item)), Text(None, shown_quantity),
                              Text(None, _or_none(has_quantity, units)), Text(None, shown_value)]
    result.columns = _concat(parts)
    return result


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    columns = {name: np.concatenate([p[name] for p in parts]) for name in QUANTITY_COLUMNS}
    order = np.lexsort((columns["position"], columns["row"]))
    columns = {name: values[order] for name, values in columns.items()}
    for name in ("item", "item_group", "unit", "kind"):
        columns[name] = columns[name].astype(object)
    for name in ("quantity", "amount", "value_usd"):
        columns[name] = columns[name].astype(float)
    return columns


def _or_none(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``mask``, else None (an object array)."""
    return np.where(mask, values, np.array(None, dtype=object))
