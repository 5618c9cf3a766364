"""Date parsing for every style the contract lists, decided per unique value.

Returns (first day, last day) so that a year ("2019") or a month
("2019-07", "July 2019") means that whole period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

MONTHS: dict[str, int] = {}
for _i in range(1, 13):
    MONTHS[calendar.month_name[_i].lower()] = _i
    MONTHS[calendar.month_abbr[_i].lower()] = _i
MONTHS["sept"] = 9

Period = tuple[dt.date, dt.date | None]

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_SLASH = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([a-z]+)\.?,?[\s\-]+(\d{4})$")
_MONTH_NAME_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_MONTH_NAME_YEAR = re.compile(r"^([a-z]+)\.?,?\s+(\d{4})$")
_YEAR_SPAN = re.compile(r"^(\d{4})\s*[-\u2013\u2014]\s*(\d{4})$")


def slash_order_votes(values: list[str]) -> tuple[int, int]:
    """Count the slash dates that can only be day-first and only month-first."""
    day_first = month_first = 0
    for value in values:
        match = _SLASH.match(value.strip())
        if match:
            a, b = int(match.group(1)), int(match.group(2))
            if a > 12 >= b:
                day_first += 1
            elif b > 12 >= a:
                month_first += 1
    return day_first, month_first


def dominant_dayfirst(values: list[str]) -> bool:
    """The file's dominant order for ambiguous slash dates (day-first on a tie)."""
    day_first, month_first = slash_order_votes(values)
    return not month_first > day_first


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_period(year: int, month: int) -> Period | None:
    if not 1 <= month <= 12 or year < 1900:
        return None
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def fiscal_year(year: int, fiscal_start: int = 1) -> Period | None:
    """The fiscal year ``year`` as a period: with ``fiscal_start`` 10, FY2020 is 2019-10-01 to 2020-09-30."""
    if year < 1900:
        return None
    if fiscal_start == 1:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return dt.date(year - 1, fiscal_start, 1), dt.date(year, fiscal_start, 1) - dt.timedelta(days=1)


def month_number(value: str) -> int | None:
    """A month given as a number (1-12), an English name or its abbreviation; None otherwise."""
    text = value.strip().lower().rstrip(".")
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    return MONTHS.get(text)


def year_month(year: str, month: str, fiscal_start: int = 1) -> str | None:
    """A year and month (from two columns) as 'YYYY-MM' text, the year read as a fiscal year
    (with ``fiscal_start`` 10, FY2020 OCT is 2019-10); 'YYYY' when the month is empty; None if unreadable."""
    text = year.strip()
    if not _YEAR.match(text):
        return None
    if not month.strip():
        return text
    number = month_number(month)
    if number is None:
        return None
    calendar_year = int(text) - (1 if fiscal_start > 1 and number >= fiscal_start else 0)
    return f"{calendar_year:04d}-{number:02d}"


def parse_period(value: str, dayfirst: bool = True, fiscal_start: int = 1) -> Period | None:
    """Parse one date or period; ``None`` when it is not a date.

    The second item is the period's last day for a year, a span of years
    ("2009-2015") or a month, else None. Years (and spans) are fiscal years
    when ``fiscal_start`` is not 1 (January).
    """
    text = value.strip().lower()
    if not text:
        return None
    if fiscal_start != 1 and (match := _YEAR.match(text)):
        return fiscal_year(int(match.group(1)), fiscal_start)
    if match := _YEAR_SPAN.match(text):
        first, last = fiscal_year(int(match.group(1)), fiscal_start), fiscal_year(int(match.group(2)), fiscal_start)
        return (first[0], last[1]) if first and last and last[0] >= first[0] else None
    if match := _ISO.match(text) or _YMD_SLASH.match(text):
        day = _day(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return (day, None) if day else None
    if match := _SLASH.match(text):
        a, b, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        day_part, month_part = (a, b) if dayfirst else (b, a)
        # An unambiguous value (25/12 or 12/25) has only one reading.
        day = _day(year, month_part, day_part) or _day(year, day_part, month_part)
        return (day, None) if day else None
    if match := _DOTTED.match(text):
        day = _day(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return (day, None) if day else None
    if match := _YEAR.match(text):
        year = int(match.group(1))
        return (dt.date(year, 1, 1), dt.date(year, 12, 31)) if year >= 1900 else None
    if match := _YEAR_MONTH.match(text):
        return _month_period(int(match.group(1)), int(match.group(2)))
    if match := _DAY_MONTH_NAME.match(text):
        month = MONTHS.get(match.group(2))
        day = _day(int(match.group(3)), month, int(match.group(1))) if month else None
        return (day, None) if day else None
    if match := _MONTH_NAME_DAY.match(text):
        month = MONTHS.get(match.group(1))
        day = _day(int(match.group(3)), month, int(match.group(2))) if month else None
        return (day, None) if day else None
    if match := _MONTH_NAME_YEAR.match(text):
        month = MONTHS.get(match.group(1))
        return _month_period(int(match.group(2)), month) if month else None
    return None
