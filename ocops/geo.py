"""Countries, regions and world boundaries.

Reads the bundled ``data/countries.csv`` (ISO 3166-1 plus Kosovo, names, aliases and a
representative point), ``data/regions.csv`` (one region per country; a deployment may
replace it) and ``data/world_boundaries.geojson``. Resolving a country name or code is a
dict lookup on a normalised key, so callers can resolve every unique value of a column.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ocops.config import DATA_DIR
from ocops.errors import BadFilter, DataFileError

DEFAULT_COUNTRIES_CSV = DATA_DIR / "countries.csv"
DEFAULT_REGIONS_CSV = DATA_DIR / "regions.csv"
DEFAULT_BOUNDARIES = DATA_DIR / "world_boundaries.geojson"
DEFAULT_REGIONS = ("Africa", "Americas", "Asia and South Pacific", "Europe",
                   "Middle East and North Africa")

# Letters that Unicode decomposition does not reduce to ASCII.
_EXTRA_FOLDS = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                              "ß": "ss", "ı": "i", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L",
                              "þ": "th", "ð": "d", "&": " and "})


# Regional aggregates and non-countries that statistical files list beside countries (UN M49
# regions, UNODC / World Bank aggregates, placeholders): never resolved to a country.
NOT_COUNTRIES: tuple[str, ...] = (
    "World", "Global", "Worldwide", "Total", "Grand total", "All countries", "International", "Regional",
    "Various", "Various countries", "Several", "Several countries", "Multiple", "Multiple countries", "Unknown",
    "Not known", "Not specified", "Unspecified", "Other", "Others", "Other countries", "Rest of the world",
    "Stateless", "High seas", "International waters", "N/A", "None",
    "Africa", "Northern Africa", "North Africa", "Sub-Saharan Africa", "Eastern Africa", "East Africa",
    "Middle Africa", "Central Africa", "Southern Africa", "Western Africa", "West Africa",
    "Americas", "The Americas", "Latin America", "Latin America and the Caribbean", "Caribbean", "The Caribbean",
    "Central America", "South America", "Northern America", "North America",
    "Asia", "Central Asia", "Eastern Asia", "East Asia", "South-eastern Asia", "Southeast Asia", "South-East Asia",
    "Southern Asia", "South Asia", "Western Asia", "West Asia", "East Asia and the Pacific", "Asia and the Pacific",
    "Asia-Pacific", "Asia Pacific", "Middle East", "Near East", "Middle East and North Africa", "MENA", "Gulf",
    "Europe", "Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe",
    "Central and Eastern Europe", "South-Eastern Europe", "Southeast Europe", "Western and Central Europe",
    "Balkans", "Western Balkans", "European Union", "EU", "EU27", "EU28", "Schengen area",
    "Oceania", "Australia and New Zealand", "Melanesia", "Polynesia", "Pacific", "Pacific Islands",
    "Sahel", "West and Central Africa", "Central Asia and Transcaucasia", "OECD",
    # aggregate codes of UN M49 and World Bank files (none is an ISO 3166 code)
    "WLD", "EUU", "EMU", "ARB", "CEB", "EAP", "EAS", "ECA", "ECS", "LAC", "LCN", "MEA", "MNA", "NAC", "SAS",
    "SSA", "SSF", "OED", "HIC", "LIC", "LMC", "UMC", "MIC", "LMY", "AFE", "AFW",
    "001", "002", "005", "009", "011", "013", "014", "015", "017", "018", "019", "021", "029", "030", "034",
    "035", "039", "053", "054", "057", "061", "142", "143", "145", "150", "151", "154", "155", "202", "419",
)
_QUALIFIED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<qualifier>[^()]+)\)\s*$")  # "Netherlands (Kingdom of the)"
_INVERTED = re.compile(r"^(?P<name>[^,]+?),\s*(?P<qualifier>[^,]+)$")  # "Korea, Republic of"


def country_key(value: str) -> str:
    """Normalised lookup key: accents folded, lowercase, leading 'the ' dropped, only a-z0-9 kept.

    >>> country_key("  The Côte d'Ivoire ")
    'cotedivoire'
    """
    text = unicodedata.normalize("NFKD", value.translate(_EXTRA_FOLDS))
    text = text.encode("ascii", "ignore").decode().lower().strip()
    if text.startswith("the "):
        text = text[4:]
    return "".join(ch for ch in text if ch.isalnum())


@dataclass(frozen=True)
class Country:
    """One ISO 3166-1 country or territory (or Kosovo) with its region and a map point."""

    iso3: str
    iso2: str
    name: str
    region: str
    lat: float
    lon: float


class CountryIndex:
    """Resolves any common English name, ISO2 or ISO3 code (case/space/punctuation-insensitive,
    accents folded) to a Country."""

    def __init__(self, countries: Iterable[Country], aliases: dict[str, list[str]]) -> None:
        """Index ``countries``; ``aliases`` maps ISO3 to other names. Use :func:`load_countries`."""
        self._by_iso3 = {c.iso3: c for c in countries}
        self._by_key: dict[str, Country] = {}
        self._name_keys: dict[str, str] = {}  # key of a name or alias -> canonical name
        for country in self._by_iso3.values():
            names = [country.name, *aliases.get(country.iso3, [])]
            for text in [country.iso3, country.iso2, *names]:
                self._add_key(country_key(text), country, text)
            for text in names:
                self._name_keys.setdefault(country_key(text), country.name)
        self._by_code = {code: c for c in self._by_iso3.values() for code in (c.iso3, c.iso2) if code}
        self._not_countries = {country_key(v) for v in NOT_COUNTRIES} - set(self._by_key)
        self._sorted = sorted(self._by_iso3.values(), key=lambda c: country_key(c.name))
        self._regions = sorted({c.region for c in self._by_iso3.values()})

    def _add_key(self, key: str, country: Country, text: str) -> None:
        if not key:
            return
        other = self._by_key.get(key)
        if other is not None and other.iso3 != country.iso3:
            raise DataFileError(
                f"Countries file: '{text}' of {country.iso3} is also a name or code of "
                f"{other.iso3}; remove it from one of the two rows.")
        self._by_key[key] = country

    def resolve(self, value: str) -> Country | None:
        """The country a name, alias, ISO2 or ISO3 code denotes, or None if unknown.

        UN-style forms are read both ways round: "Netherlands (Kingdom of the)"
        as "Kingdom of the Netherlands", "Korea, Republic of" as "Republic of Korea".
        Regional aggregates and non-countries (:meth:`is_aggregate`) resolve to None.
        """
        if not isinstance(value, str):
            return None
        key = country_key(value)
        found = self._by_key.get(key)
        if found is not None or key in self._not_countries:
            return found
        for pattern in (_QUALIFIED, _INVERTED):
            match = pattern.match(value.strip())
            if match:
                found = self._by_key.get(country_key(f"{match['qualifier']} {match['name']}"))
                if found is not None:
                    return found
        return None

    def resolve_code(self, value: str) -> Country | None:
        """The country an ISO 3166 alpha-2 or alpha-3 code (or XK / XKX) denotes; None for anything else."""
        return self._by_code.get(value.strip().upper()) if isinstance(value, str) else None

    def is_aggregate(self, value: str) -> bool:
        """Whether ``value`` names a regional aggregate or a non-country ("World", "Caribbean", "Various", "WLD")."""
        return isinstance(value, str) and country_key(value) in self._not_countries

    def suggest(self, value: str, limit: int = 3, cutoff: float = 0.6) -> list[str]:
        """Up to ``limit`` canonical names closest to an unknown spelling, best first
        (``cutoff``: the least difflib similarity a suggestion needs)."""
        matches = difflib.get_close_matches(country_key(value), list(self._name_keys),
                                            n=limit * 4, cutoff=cutoff)
        names: list[str] = []
        for key in matches:
            name = self._name_keys[key]
            if name not in names:
                names.append(name)
        return names[:limit]

    def get(self, iso3: str) -> Country:
        """The country with this ISO3 code (any case); KeyError if there is none."""
        return self._by_iso3[iso3.strip().upper()]

    def countries(self) -> list[Country]:
        """Every country, sorted by name (accents ignored)."""
        return list(self._sorted)

    def regions(self) -> list[str]:
        """The region names used by the mapping, sorted."""
        return list(self._regions)

    def region(self, name: str) -> str | None:
        """The region called ``name``, matched like country names (case, accents, punctuation,
        '&' for 'and'); None if there is none. The one place region names are matched."""
        return {country_key(r): r for r in self._regions}.get(country_key(name))

    def iso3_in_regions(self, regions: Iterable[str]) -> list[str]:
        """Sorted ISO3 codes of the countries in any of ``regions`` (names matched by
        :meth:`region`); BadFilter naming the known regions if one is unknown."""
        wanted = set()
        for name in regions:
            region = self.region(name)
            if region is None:
                raise BadFilter(f"Unknown region '{name}'. Use one of: {', '.join(self._regions)}.")
            wanted.add(region)
        return sorted(c.iso3 for c in self._by_iso3.values() if c.region in wanted)

    def region_of(self, iso3: str) -> str:
        """The region of the country with this ISO3 code; KeyError if there is none."""
        return self.get(iso3).region


def load_countries(countries_csv: Path | None = None, regions_csv: Path | None = None) -> CountryIndex:
    """The country index built from the countries and regions files (bundled ones by default).

    Cached per pair of paths. Raises DataFileError naming the file, line and problem if a
    file is missing, malformed, or the regions file leaves a country without a region.
    """
    return _load_countries(Path(countries_csv or DEFAULT_COUNTRIES_CSV).resolve(),
                           Path(regions_csv or DEFAULT_REGIONS_CSV).resolve())


@lru_cache(maxsize=8)
def _load_countries(countries_csv: Path, regions_csv: Path) -> CountryIndex:
    rows = _read_rows(countries_csv, ("iso3", "iso2", "name", "aliases", "lat", "lon"))
    regions = _read_regions(regions_csv, {row["iso3"].strip().upper() for _, row in rows})
    countries, aliases = [], {}
    for line, row in rows:
        iso3 = row["iso3"].strip().upper()
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            raise DataFileError(f"{countries_csv}: line {line}: lat/lon of {iso3} are not numbers "
                                f"('{row['lat']}', '{row['lon']}').") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DataFileError(f"{countries_csv}: line {line}: lat/lon of {iso3} out of range.")
        countries.append(Country(iso3, row["iso2"].strip().upper(), row["name"].strip(),
                                 regions[iso3], lat, lon))
        aliases[iso3] = [a.strip() for a in row["aliases"].split("|") if a.strip()]
    return CountryIndex(countries, aliases)


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a UTF-8 CSV file that must have ``columns``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DataFileError(f"{path}: line 1: the header must name the columns "
                                    f"{', '.join(columns)}; missing {', '.join(missing)}.")
            rows = []
            for row in reader:
                if None in row or any(row[c] is None for c in columns):
                    raise DataFileError(f"{path}: line {reader.line_num}: expected "
                                        f"{len(reader.fieldnames or [])} comma-separated fields.")
                rows.append((reader.line_num, row))
            return rows
    except OSError as error:
        raise DataFileError(f"Cannot read data file {path}: {error.strerror or error}.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataFileError(f"{path} is not a readable UTF-8 CSV file ({error}).") from None


def _read_regions(path: Path, known_iso3: set[str]) -> dict[str, str]:
    """ISO3 -> region from a regions file that must cover exactly ``known_iso3``.

    Region names outside the five defaults are accepted (a deployment may add its own),
    unless they look like a misspelling of a default region.
    """
    default_by_key = {country_key(r): r for r in DEFAULT_REGIONS}
    regions: dict[str, str] = {}
    for line, row in _read_rows(path, ("iso3", "region")):
        iso3, region = row["iso3"].strip().upper(), " ".join(row["region"].split())
        where = f"{path}: line {line}"
        if iso3 not in known_iso3:
            raise DataFileError(f"{where}: unknown ISO3 code '{row['iso3']}'; use a code from "
                                "data/countries.csv.")
        if not region:
            raise DataFileError(f"{where}: {iso3} has no region.")
        if iso3 in regions and regions[iso3] != region:
            raise DataFileError(f"{where}: {iso3} is mapped twice ('{regions[iso3]}' and "
                                f"'{region}'); keep one line per country.")
        if region not in DEFAULT_REGIONS:
            close = default_by_key.get(country_key(region)) or next(
                iter(difflib.get_close_matches(region, DEFAULT_REGIONS, n=1, cutoff=0.8)), None)
            if close:
                raise DataFileError(f"{where}: unknown region '{region}' for {iso3} "
                                    f"(did you mean '{close}'?).")
        regions[iso3] = region
    missing = sorted(known_iso3 - set(regions))
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise DataFileError(f"{path}: {len(missing)} countries have no region ({shown}); add a "
                            "line 'ISO3,region' for each.")
    return regions


def load_boundaries(path: Path | None = None) -> dict:
    """The world boundaries GeoJSON FeatureCollection (feature properties: iso3, name).

    Cached: every call returns the same dict, which callers must not modify.
    """
    return _load_boundaries(Path(path or DEFAULT_BOUNDARIES).resolve())


@lru_cache(maxsize=4)
def _load_boundaries(path: Path) -> dict:
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DataFileError(f"Cannot read boundaries file {path}: {error.strerror or error}.") from None
    except ValueError as error:
        raise DataFileError(f"{path} is not valid GeoJSON ({error}).") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DataFileError(f"{path} is not a GeoJSON FeatureCollection.")
    return collection
