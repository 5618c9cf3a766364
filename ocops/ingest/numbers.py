"""Numbers as spreadsheets write them: thousands separators and decimal commas.

The file decides once whether it writes decimals with a comma; then every
value must read one way only: with a decimal comma a point may only group
thousands (``1.200`` = 1200, ``1.234,5``), with a decimal point a comma may
only group thousands (``1,200``, ``1,234.5``). Spaces and apostrophes group
thousands in both. Parsing runs vectorised over a column's unique values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_SPACES = r"[\s\u00a0\u202f']"
_SPACES_RE = re.compile(_SPACES)
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$|^-?\d{1,3}(\.\d{3})+,\d+$|^-?\d+,\d{4,}$|^-?\d{1,3}(\.\d{3}){2,}$")
_DECIMAL_POINT = re.compile(r"^-?\d+\.\d{1,2}$|^-?\d{1,3}(,\d{3})+\.\d+$|^-?\d+\.\d{4,}$|^-?\d{1,3}(,\d{3}){2,}$")
_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?|[+-]?,\d+"
_POINT_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+|[+-]?\d+(?:\.\d*)?[eE][+-]?\d+"


def uses_decimal_comma(values: list[str], delimiter: str = ",") -> bool:
    """Whether the file writes decimals with a comma (``12,5``; ``1.200,50``).

    Decided by the values that can only be read one way; a semicolon file
    with no such evidence is taken to be European.
    """
    comma = point = 0
    for value in values:
        text = _SPACES_RE.sub("", value)
        if _DECIMAL_COMMA.match(text):
            comma += 1
        elif _DECIMAL_POINT.match(text):
            point += 1
    if comma != point:
        return comma > point
    return delimiter == ";"


def parse_numbers(values: pd.Series, decimal_comma: bool = False) -> np.ndarray:
    """Parse '1,200', '1 200', '1.200,5' (decimal comma), '12.5' as a float64 array;
    NaN where a value is not a number."""
    text = values.astype("str").str.replace(_SPACES, "", regex=True)
    if decimal_comma:
        ok = text.str.fullmatch(_COMMA_NUMBER)
        clean = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        ok = text.str.fullmatch(_POINT_NUMBER)
        clean = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(clean.where(ok.fillna(False).astype(bool), None), errors="coerce")
    result = np.array(numbers, dtype="float64")
    result[~np.isfinite(result)] = np.nan
    return result
