"""Numbers as spreadsheets write them: thousands separators and decimal commas."""

from __future__ import annotations

import math
import re

_SPACES = re.compile(r"[\s\u00a0\u202f']")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$|^-?\d{1,3}(\.\d{3})+,\d+$|^-?\d+,\d{4,}$")
_DECIMAL_POINT = re.compile(r"^-?\d+\.\d{1,2}$|^-?\d{1,3}(,\d{3})+\.\d+$|^-?\d+\.\d{4,}$")


def uses_decimal_comma(values: list[str], delimiter: str = ",") -> bool:
    """Whether the file writes decimals with a comma (``12,5``; ``1.200,50``).

    Decided by the values that can only be read one way; a semicolon file
    with no such evidence is taken to be European.
    """
    comma = point = 0
    for value in values:
        text = _SPACES.sub("", value)
        if _DECIMAL_COMMA.match(text):
            comma += 1
        elif _DECIMAL_POINT.match(text):
            point += 1
    if comma != point:
        return comma > point
    return delimiter == ";"


def parse_number(value: str, decimal_comma: bool = False) -> float | None:
    """Parse '1,200', '1 200', '1.200,5' (decimal comma), '12.5'; None if not a number."""
    text = _SPACES.sub("", value.strip())
    if not text:
        return None
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
