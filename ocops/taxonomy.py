"""Crime-area taxonomy (CONTRACT section 3) and seizure units (section 1).

The areas and their aliases live in a data file (``data/crime_areas.csv``,
columns ``area,aliases`` with aliases separated by ``|``) that a deployment
may replace. Matching ignores case, accents, punctuation and extra spaces, and
accepts simple singular/plural variants; a value that matches nothing
resolves to ``None`` and :meth:`Taxonomy.suggest` offers the closest areas.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ocops.config import DATA_DIR
from ocops.errors import DataFileError

DEFAULT_CRIME_AREAS_FILE = DATA_DIR / "crime_areas.csv"
OTHER_AREA = "Other"

# Words that say nothing about which area a value means (for suggestions only).
_STOPWORDS = frozenset(
    "a an and the of in at on for to against crime illegal illicit person".split()
)
_CLOSE_RATIO = 0.75  # difflib ratio above which a name/alias counts as a close match
_TOKEN_RATIO = 0.85  # ratio above which two words count as the same (typos)


def normalise_key(value: str) -> str:
    """Lower-case ``value``, drop accents, turn punctuation into spaces, collapse spaces."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def _singular_word(word: str) -> str:
    """Crude English singular of one word ("crimes" -> "crime", "activities" -> "activity")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _singular_key(key: str) -> str:
    return " ".join(_singular_word(word) for word in key.split())


def _content_words(key: str) -> set[str]:
    return {_singular_word(w) for w in key.split() if w not in _STOPWORDS} - _STOPWORDS


class Taxonomy:
    """Crime areas with their aliases; matching ignores case, accents, punctuation and extra spaces."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Build from ``(area, aliases)`` pairs in display order; the first claim of a key wins."""
        areas: list[str] = []
        aliases: dict[str, tuple[str, ...]] = {}
        self._exact: dict[str, str] = {}
        singular_claims: dict[str, set[str]] = {}
        for area, area_aliases in entries:
            areas.append(area)
            aliases[area] = tuple(area_aliases)
            for wording in (area, *aliases[area]):
                key = normalise_key(wording)
                if not key:
                    continue
                self._exact.setdefault(key, area)
                singular_claims.setdefault(_singular_key(key), set()).add(area)
        self.areas: tuple[str, ...] = tuple(areas)
        self.aliases: dict[str, tuple[str, ...]] = aliases
        # A singular form shared by two areas is ambiguous: only exact keys resolve it.
        self._singular = {k: next(iter(v)) for k, v in singular_claims.items() if len(v) == 1}
        self._words = {
            area: set().union(*(_content_words(k) for k, a in self._exact.items() if a == area))
            for area in self.areas
        }

    def resolve(self, value: str) -> str | None:
        """Return the canonical area ``value`` names (name or alias), or ``None``."""
        key = normalise_key(value)
        if not key:
            return None
        return self._exact.get(key) or self._singular.get(_singular_key(key))

    def suggest(self, value: str, limit: int = 3) -> list[str]:
        """Return up to ``limit`` canonical areas closest to ``value``, best first.

        Close spellings of a name or alias and shared words ("stolen cars" ->
        Vehicle crime) count; when nothing is close, "Other" comes first,
        followed by the least distant areas. Empty only for a blank value.
        """
        if not value.strip() or limit <= 0:
            return []
        key = normalise_key(value)
        words = _content_words(key)
        ratio = {area: 0.0 for area in self.areas}
        for alias_key, area in self._exact.items():
            ratio[area] = max(ratio[area], difflib.SequenceMatcher(None, key, alias_key).ratio())
        overlap = {area: self._word_overlap(words, self._words[area]) for area in self.areas}
        order = {area: i for i, area in enumerate(self.areas)}
        ranked = sorted(self.areas, key=lambda a: (-(ratio[a] + overlap[a]), order[a]))
        exact = self.resolve(value)
        if exact:
            ranked.remove(exact)
            ranked.insert(0, exact)
        close = [a for a in ranked if a == exact or ratio[a] >= _CLOSE_RATIO or overlap[a] > 0]
        if close:
            return close[:limit]
        if OTHER_AREA in ranked:
            ranked.remove(OTHER_AREA)
            ranked.insert(0, OTHER_AREA)
        return ranked[:limit]

    def _word_overlap(self, words: set[str], area_words: set[str]) -> float:
        """Weighted share of ``words`` found (allowing typos) among ``area_words``.

        A word shared by many areas ("trafficking") weighs less than a telling one ("car").
        """
        if not words:
            return 0.0
        total = hits = 0.0
        for word in words:
            weight = 1.0 / max(1, sum(word in w for w in self._words.values()))
            total += weight
            if word in area_words or (
                len(word) >= 5  # typo tolerance only for long words ("car" is not "card")
                and difflib.get_close_matches(word, area_words, n=1, cutoff=_TOKEN_RATIO)
            ):
                hits += weight
        return hits / total


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load the crime areas from ``path`` (default: the bundled ``data/crime_areas.csv``).

    Raises :class:`DataFileError` naming the file, line and problem when the
    file is missing, lacks the ``area,aliases`` header, has an empty or
    repeated area, or gives one alias to two areas.
    """
    return _load_cached(Path(path or DEFAULT_CRIME_AREAS_FILE).resolve())


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> Taxonomy:
    return Taxonomy(read_entries(path, "area", "crime-area", "crime areas"))


def read_entries(path: Path, noun: str, kind: str, plural: str) -> list[tuple[str, list[str]]]:
    """``(name, aliases)`` pairs of a vocabulary file with columns ``<noun>,aliases``
    (crime areas, seized items), checked: raises :class:`DataFileError` naming the line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(
            f"Cannot read the {kind} file {path}: {exc}. "
            f"Point to a UTF-8 CSV file with columns {noun},aliases."
        ) from exc
    header = [normalise_key(cell) for cell in rows[0]] if rows else []
    if header[:2] != [noun, "aliases"]:
        found = ",".join(rows[0]) if rows else "an empty file"
        raise DataFileError(
            f"{path}, line 1: the header must be '{noun},aliases' (found {found}). "
            f"Fix the first line of the {kind} file."
        )
    entries: list[tuple[str, list[str]]] = []
    owner: dict[str, tuple[str, int]] = {}  # normalised key -> (name, line)
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = " ".join(row[0].split())
        if not name:
            raise DataFileError(f"{path}, line {line}: the {noun} name is empty. Give every line an {noun} name.")
        aliases = [" ".join(a.split()) for a in (row[1] if len(row) > 1 else "").split("|")]
        aliases = [a for a in aliases if a]
        if name in seen:
            raise DataFileError(
                f"{path}, line {line}: {noun} '{name}' is listed twice (first on line {seen[name]}). "
                f"Give each {noun} one line."
            )
        seen[name] = line
        for wording in (name, *aliases):
            key = normalise_key(wording)
            claimed = owner.setdefault(key, (name, line))
            if claimed[0] != name:
                raise DataFileError(
                    f"{path}, line {line}: alias '{wording}' is already used by {noun} '{claimed[0]}' "
                    f"on line {claimed[1]}. Each name and alias may belong to one {noun} only."
                )
        entries.append((name, aliases))
    if not entries:
        raise DataFileError(f"{path}: no {plural} found. Add one line per {noun} after the header.")
    return entries


@dataclass(frozen=True)
class Unit:
    """A seizure unit: the kind it measures and the factor to kg / l / items."""

    kind: str  # "kg", "l" or "items"
    factor: float  # multiply the quantity by this to get kg / l / items


_UNIT_WORDS: dict[str, tuple[str, float]] = {}


def _add_units(kind: str, factor: float, words: str) -> None:
    for word in words.split():
        _UNIT_WORDS[word] = (kind, factor)


_add_units("kg", 0.000001, "mg milligram milligrams milligramme milligrammes")
_add_units("kg", 0.001, "g gr grs gs gram grams gramme grammes")
_add_units("kg", 1.0, "kg kgs kilo kilos kilogram kilograms kilogramme kilogrammes")
_add_units("kg", 1000.0, "t ts mt tonne tonnes ton tons metricton metrictons metrictonne metrictonnes")
_add_units("kg", 0.45359237, "lb lbs pound pounds")
_add_units("kg", 0.028349523125, "oz ozs ounce ounces")
_add_units("l", 0.001, "ml mls millilitre millilitres milliliter milliliters")
_add_units("l", 0.01, "cl centilitre centilitres centiliter centiliters")
_add_units("l", 1.0, "l ls lt lts ltr ltrs litre litres liter liters")
_add_units("l", 1000.0, "m3 cubicmetre cubicmetres cubicmeter cubicmeters")
_add_units(
    "items",
    1.0,
    "item items pc pcs piece pieces unit units head heads each ea number no nos nr "
    "count animal animals specimen specimens tablet tablets pill pills round rounds",
)


def normalise_unit(unit: str) -> Unit | None:
    """Return the :class:`Unit` for a unit wording ("Kg.", "KGS", "tonnes", "pcs"), or ``None``.

    Case, spaces and dots are ignored; tons are metric; unknown wordings give ``None``.
    """
    key = re.sub(r"[\s.]+", "", unicodedata.normalize("NFKC", unit).casefold())
    key = key.replace("³", "3")
    found = _UNIT_WORDS.get(key)
    return Unit(*found) if found else None
