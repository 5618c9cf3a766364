"""Synthetic operation records, fast enough for a million rows in seconds.

The records follow the canonical CSV of CONTRACT.md section 1 and look like
real results without being any: countries are Zipf-skewed within regions,
dates have seasonality and a slight upward trend, each operation belongs to
one crime area and a few regions, counts are skewed (victims mostly zero
outside trafficking areas), seizures match the crime area (cocaine in kg,
firearms as items, fuel in litres...) and about 30% of rows carry a city
(the capital) with coordinates near it.

Everything is vectorised with numpy: no Python loop runs per row (the only
loops run over the 16 crime areas). Same seed and same ``today`` give the
same records and the same bytes on disk.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ocops.errors import OcopsError
from ocops.schema import FIELD_NAMES

REGIONS: tuple[str, ...] = (
    "Africa",
    "Americas",
    "Asia and South Pacific",
    "Europe",
    "Middle East and North Africa",
)
_AF, _AM, _AS, _EU, _ME = range(5)

# (ISO3, region index, capital, latitude, longitude). Coordinates from GeoNames.
# Within a region the order is the Zipf rank: earlier countries get more rows.
_COUNTRIES: tuple[tuple[str, int, str, float, float], ...] = (
    ("NGA", _AF, "Abuja", 9.0579, 7.4951),
    ("ZAF", _AF, "Pretoria", -25.7449, 28.1878),
    ("KEN", _AF, "Nairobi", -1.2833, 36.8167),
    ("GHA", _AF, "Accra", 5.5560, -0.1969),
    ("ETH", _AF, "Addis Ababa", 9.0250, 38.7469),
    ("TZA", _AF, "Dodoma", -6.1722, 35.7395),
    ("UGA", _AF, "Kampala", 0.3163, 32.5822),
    ("CIV", _AF, "Yamoussoukro", 6.8205, -5.2767),
    ("SEN", _AF, "Dakar", 14.6937, -17.4441),
    ("CMR", _AF, "Yaounde", 3.8667, 11.5167),
    ("COD", _AF, "Kinshasa", -4.3276, 15.3136),
    ("AGO", _AF, "Luanda", -8.8368, 13.2343),
    ("MOZ", _AF, "Maputo", -25.9655, 32.5832),
    ("ZMB", _AF, "Lusaka", -15.4067, 28.2871),
    ("ZWE", _AF, "Harare", -17.8277, 31.0534),
    ("NAM", _AF, "Windhoek", -22.5594, 17.0832),
    ("BWA", _AF, "Gaborone", -24.6545, 25.9086),
    ("MWI", _AF, "Lilongwe", -13.9669, 33.7873),
    ("RWA", _AF, "Kigali", -1.9500, 30.0588),
    ("BEN", _AF, "Porto-Novo", 6.4965, 2.6036),
    ("TGO", _AF, "Lome", 6.1287, 1.2215),
    ("BFA", _AF, "Ouagadougou", 12.3657, -1.5339),
    ("MLI", _AF, "Bamako", 12.6091, -7.9752),
    ("NER", _AF, "Niamey", 13.5137, 2.1098),
    ("GIN", _AF, "Conakry", 9.5380, -13.6773),
    ("SLE", _AF, "Freetown", 8.4871, -13.2356),
    ("LBR", _AF, "Monrovia", 6.3005, -10.7969),
    ("MDG", _AF, "Antananarivo", -18.9137, 47.5361),
    ("SOM", _AF, "Mogadishu", 2.0371, 45.3438),
    ("SSD", _AF, "Juba", 4.8517, 31.5825),
    ("SDN", _AF, "Khartoum", 15.5518, 32.5324),
    ("GAB", _AF, "Libreville", 0.3924, 9.4536),
    ("COG", _AF, "Brazzaville", -4.2661, 15.2832),
    ("USA", _AM, "Washington", 38.8951, -77.0364),
    ("BRA", _AM, "Brasilia", -15.7797, -47.9297),
    ("MEX", _AM, "Mexico City", 19.4285, -99.1277),
    ("COL", _AM, "Bogota", 4.6097, -74.0817),
    ("ARG", _AM, "Buenos Aires", -34.6131, -58.3772),
    ("CAN", _AM, "Ottawa", 45.4112, -75.6981),
    ("PER", _AM, "Lima", -12.0432, -77.0282),
    ("CHL", _AM, "Santiago", -33.4569, -70.6483),
    ("ECU", _AM, "Quito", -0.2298, -78.5250),
    ("BOL", _AM, "Sucre", -19.0333, -65.2627),
    ("VEN", _AM, "Caracas", 10.4880, -66.8792),
    ("PRY", _AM, "Asuncion", -25.2865, -57.6470),
    ("URY", _AM, "Montevideo", -34.9033, -56.1882),
    ("PAN", _AM, "Panama City", 8.9936, -79.5197),
    ("CRI", _AM, "San Jose", 9.9339, -84.0849),
    ("GTM", _AM, "Guatemala City", 14.6407, -90.5133),
    ("HND", _AM, "Tegucigalpa", 14.0818, -87.2068),
    ("SLV", _AM, "San Salvador", 13.6893, -89.1872),
    ("NIC", _AM, "Managua", 12.1328, -86.2504),
    ("DOM", _AM, "Santo Domingo", 18.4719, -69.8923),
    ("JAM", _AM, "Kingston", 17.9970, -76.7936),
    ("CUB", _AM, "Havana", 23.1330, -82.3830),
    ("HTI", _AM, "Port-au-Prince", 18.5435, -72.3388),
    ("TTO", _AM, "Port of Spain", 10.6667, -61.5189),
    ("GUY", _AM, "Georgetown", 6.8045, -58.1553),
    ("SUR", _AM, "Paramaribo", 5.8664, -55.1668),
    ("BLZ", _AM, "Belmopan", 17.2538, -88.7640),
    ("CHN", _AS, "Beijing", 39.9075, 116.3972),
    ("IND", _AS, "New Delhi", 28.6519, 77.2315),
    ("IDN", _AS, "Jakarta", -6.2146, 106.8451),
    ("THA", _AS, "Bangkok", 13.7540, 100.5014),
    ("VNM", _AS, "Hanoi", 21.0245, 105.8412),
    ("PHL", _AS, "Manila", 14.6042, 120.9822),
    ("MYS", _AS, "Kuala Lumpur", 3.1412, 101.6865),
    ("AUS", _AS, "Canberra", -35.2835, 149.1281),
    ("SGP", _AS, "Singapore", 1.2897, 103.8501),
    ("KHM", _AS, "Phnom Penh", 11.5625, 104.9160),
    ("LAO", _AS, "Vientiane", 17.9667, 102.6000),
    ("MMR", _AS, "Nay Pyi Taw", 19.7450, 96.1297),
    ("BGD", _AS, "Dhaka", 23.7104, 90.4074),
    ("PAK", _AS, "Islamabad", 33.7215, 73.0433),
    ("HKG", _AS, "Hong Kong", 22.2783, 114.1747),
    ("LKA", _AS, "Colombo", 6.9355, 79.8487),
    ("NPL", _AS, "Kathmandu", 27.7017, 85.3206),
    ("JPN", _AS, "Tokyo", 35.6895, 139.6917),
    ("KOR", _AS, "Seoul", 37.5660, 126.9784),
    ("AFG", _AS, "Kabul", 34.5281, 69.1723),
    ("IRN", _AS, "Tehran", 35.6944, 51.4215),
    ("MNG", _AS, "Ulaanbaatar", 47.9077, 106.8832),
    ("NZL", _AS, "Wellington", -41.2866, 174.7756),
    ("PNG", _AS, "Port Moresby", -9.4772, 147.1509),
    ("FJI", _AS, "Suva", -18.1368, 178.4253),
    ("ESP", _EU, "Madrid", 40.4165, -3.7026),
    ("FRA", _EU, "Paris", 48.8534, 2.3488),
    ("ITA", _EU, "Rome", 41.8919, 12.5113),
    ("DEU", _EU, "Berlin", 52.5244, 13.4105),
    ("NLD", _EU, "Amsterdam", 52.3740, 4.8897),
    ("GBR", _EU, "London", 51.5085, -0.1257),
    ("TUR", _EU, "Ankara", 39.9199, 32.8543),
    ("BEL", _EU, "Brussels", 50.8505, 4.3488),
    ("PRT", _EU, "Lisbon", 38.7251, -9.1498),
    ("POL", _EU, "Warsaw", 52.2298, 21.0118),
    ("ROU", _EU, "Bucharest", 44.4323, 26.1063),
    ("GRC", _EU, "Athens", 37.9838, 23.7278),
    ("UKR", _EU, "Kyiv", 50.4547, 30.5238),
    ("RUS", _EU, "Moscow", 55.7520, 37.6178),
    ("AUT", _EU, "Vienna", 48.2085, 16.3721),
    ("BGR", _EU, "Sofia", 42.6975, 23.3241),
    ("SRB", _EU, "Belgrade", 44.8040, 20.4651),
    ("ALB", _EU, "Tirana", 41.3274, 19.8187),
    ("HUN", _EU, "Budapest", 47.4984, 19.0404),
    ("CZE", _EU, "Prague", 50.0880, 14.4208),
    ("CHE", _EU, "Bern", 46.9481, 7.4474),
    ("HRV", _EU, "Zagreb", 45.8144, 15.9780),
    ("SWE", _EU, "Stockholm", 59.3294, 18.0687),
    ("XKX", _EU, "Pristina", 42.6629, 21.1655),
    ("BIH", _EU, "Sarajevo", 43.8486, 18.3564),
    ("MKD", _EU, "Skopje", 41.9965, 21.4314),
    ("MDA", _EU, "Chisinau", 47.0090, 28.8594),
    ("IRL", _EU, "Dublin", 53.3331, -6.2489),
    ("DNK", _EU, "Copenhagen", 55.6759, 12.5655),
    ("NOR", _EU, "Oslo", 59.9127, 10.7461),
    ("FIN", _EU, "Helsinki", 60.1695, 24.9354),
    ("EGY", _ME, "Cairo", 30.0626, 31.2497),
    ("MAR", _ME, "Rabat", 34.0132, -6.8326),
    ("DZA", _ME, "Algiers", 36.7323, 3.0875),
    ("SAU", _ME, "Riyadh", 24.6877, 46.7219),
    ("ARE", _ME, "Abu Dhabi", 24.4512, 54.3970),
    ("TUN", _ME, "Tunis", 36.8190, 10.1658),
    ("LBY", _ME, "Tripoli", 32.8874, 13.1873),
    ("IRQ", _ME, "Baghdad", 33.3406, 44.4009),
    ("JOR", _ME, "Amman", 31.9552, 35.9450),
    ("LBN", _ME, "Beirut", 33.8933, 35.5016),
    ("QAT", _ME, "Doha", 25.2855, 51.5310),
    ("KWT", _ME, "Kuwait City", 29.3670, 47.9743),
    ("OMN", _ME, "Muscat", 23.5841, 58.4078),
    ("BHR", _ME, "Manama", 26.2279, 50.5857),
    ("YEM", _ME, "Sanaa", 15.3545, 44.2065),
)

# A seized item: (item, unit or "" for value only, median quantity (or value
# in USD when unit is ""), lognormal sigma, USD per unit).
_Item = tuple[str, str, float, float, float]

# A crime area: (name, share of operations, mean arrests, probability of a
# seized item, probability of rescued victims, mean victims when any, items).
_AREAS: tuple[tuple[str, float, float, float, float, float, tuple[_Item, ...]], ...] = (
    ("Drug trafficking", 0.20, 6.0, 0.75, 0.0, 0.0, (
        ("cocaine", "kg", 25, 1.6, 30000), ("cannabis", "kg", 120, 1.5, 1500),
        ("heroin", "kg", 8, 1.4, 40000), ("methamphetamine", "kg", 15, 1.5, 25000),
        ("tramadol tablets", "items", 20000, 1.5, 0.5))),
    ("Trafficking in human beings", 0.08, 4.0, 0.10, 0.85, 12.0, (
        ("forged documents", "items", 10, 1.0, 50), ("cash", "", 20000, 1.2, 1))),
    ("People smuggling", 0.07, 5.0, 0.25, 0.6, 10.0, (
        ("forged passports", "items", 12, 1.0, 300), ("vehicles", "items", 3, 0.7, 15000))),
    ("Firearms trafficking", 0.08, 3.0, 0.80, 0.0, 0.0, (
        ("firearms", "items", 15, 1.2, 800), ("ammunition", "items", 2000, 1.4, 0.8),
        ("explosives", "kg", 10, 1.3, 60))),
    ("Illicit goods and counterfeiting", 0.10, 3.0, 0.80, 0.0, 0.0, (
        ("counterfeit medicines", "items", 50000, 1.6, 0.4),
        ("counterfeit cigarettes", "items", 200000, 1.4, 0.05),
        ("fuel", "l", 20000, 1.5, 0.9), ("counterfeit alcohol", "l", 3000, 1.3, 6))),
    ("Environmental crime", 0.10, 3.0, 0.75, 0.0, 0.0, (
        ("ivory", "kg", 60, 1.3, 900), ("pangolin scales", "kg", 300, 1.3, 600),
        ("timber", "t", 80, 1.2, 400), ("fish", "t", 15, 1.1, 3000),
        ("live birds", "items", 40, 1.0, 150), ("rhino horn", "kg", 5, 1.0, 60000))),
    ("Cultural heritage crime", 0.03, 1.5, 0.70, 0.0, 0.0, (
        ("artefacts", "items", 120, 1.4, 900), ("coins", "items", 400, 1.3, 60))),
    ("Vehicle crime", 0.06, 2.0, 0.80, 0.0, 0.0, (
        ("vehicles", "items", 6, 1.0, 18000), ("vehicle parts", "items", 40, 1.2, 250))),
    ("Financial crime and money laundering", 0.06, 3.0, 0.50, 0.0, 0.0, (
        ("cash", "", 250000, 1.5, 1), ("gold", "kg", 5, 1.2, 60000))),
    ("Cybercrime", 0.05, 2.5, 0.40, 0.05, 3.0, (
        ("computers", "items", 8, 0.9, 600), ("mobile phones", "items", 20, 1.0, 200),
        ("cryptocurrency", "", 400000, 1.6, 1))),
    ("Terrorism", 0.03, 1.5, 0.35, 0.0, 0.0, (
        ("explosives", "kg", 25, 1.3, 60), ("firearms", "items", 6, 1.0, 800),
        ("detonators", "items", 30, 1.0, 20))),
    ("Fugitives", 0.04, 1.0, 0.08, 0.0, 0.0, (
        ("cash", "", 10000, 1.2, 1), ("firearms", "items", 2, 0.6, 800))),
    ("Illegal gambling and match-fixing", 0.03, 15.0, 0.70, 0.05, 4.0, (
        ("cash", "", 80000, 1.5, 1), ("mobile phones", "items", 60, 1.2, 200),
        ("computers", "items", 25, 1.0, 600))),
    ("Maritime crime", 0.03, 2.0, 0.60, 0.03, 5.0, (
        ("fuel", "l", 80000, 1.4, 0.9), ("fish", "t", 40, 1.2, 3000),
        ("vessels", "items", 2, 0.6, 250000))),
    ("Document fraud", 0.03, 2.0, 0.75, 0.0, 0.0, (
        ("passports", "items", 25, 1.2, 400), ("identity cards", "items", 60, 1.2, 80))),
    ("Other", 0.01, 2.0, 0.25, 0.02, 2.0, (("cash", "", 30000, 1.4, 1),)),
)
CRIME_AREAS: tuple[str, ...] = tuple(a[0] for a in _AREAS)

_AGENCIES: tuple[str, ...] = (
    "National Police", "Customs", "Gendarmerie", "Coast Guard", "Border Police",
    "Environmental Protection Agency", "Financial Intelligence Unit",
    "Cybercrime Unit", "Counter-Terrorism Unit", "Criminal Investigation Department",
    "Wildlife Service", "Anti-Narcotics Agency",
)
# Agencies (indices into _AGENCIES) that usually lead each crime area.
_AREA_AGENCIES: tuple[tuple[int, ...], ...] = (
    (0, 1, 11), (0, 9, 4), (4, 0, 2), (0, 1, 9), (1, 0), (5, 10, 1), (0, 1),
    (0, 2, 1), (6, 0), (7, 0), (8, 0), (0, 9), (0, 9), (3, 1), (4, 0), (0, 2),
)

# Well-known operation names with their crime area and regions; the rest of
# the pool is drawn (with a fixed seed) from _NAME_WORDS.
_KNOWN_OPERATIONS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("Pangea", "Illicit goods and counterfeiting", (_AF, _AS, _EU)),
    ("Thunder", "Environmental crime", (_AF, _AS, _AM)),
    ("Lionfish", "Drug trafficking", (_AM, _AF)),
    ("Trigger", "Firearms trafficking", (_AS, _ME)),
    ("Liberterra", "Trafficking in human beings", (_AF, _EU)),
    ("Turquesa", "People smuggling", (_AM,)),
    ("Andes", "People smuggling", (_AM,)),
    ("SOGA", "Illegal gambling and match-fixing", (_AS,)),
    ("Infra", "Fugitives", (_EU, _AM, _AS)),
    ("Pandora", "Cultural heritage crime", (_EU, _ME)),
    ("Opson", "Illicit goods and counterfeiting", (_EU, _AF)),
    ("Sentinel", "Terrorism", (_ME, _AS)),
)
_NAME_WORDS: tuple[str, ...] = (
    "Storm", "Blackwater", "Nightjar", "Silverback", "Cobalt", "Meridian",
    "Tempest", "Falcon", "Jaguar", "Harpoon", "Sandstorm", "Trident", "Atlas",
    "Orion", "Lynx", "Coral", "Ebony", "Mamba", "Baobab", "Savanna", "Condor",
    "Quetzal", "Puma", "Caiman", "Marlin", "Typhoon", "Monsoon", "Lotus",
    "Bamboo", "Dragonfly", "Kraken", "Nautilus", "Anchor", "Lighthouse",
    "Keystone", "Granite", "Basalt", "Obsidian", "Quicksilver", "Mercury",
    "Helios", "Aurora", "Borealis", "Zephyr", "Sirocco", "Mistral", "Khamsin",
    "Oasis", "Dune", "Mirage", "Scorpion", "Hawkeye", "Ironclad", "Bulwark",
    "Rampart", "Citadel", "Vanguard", "Pathfinder", "Compass", "Lodestar",
    "Polaris", "Sextant", "Odyssey", "Argonaut", "Icarus", "Minerva", "Artemis",
    "Nemesis", "Hydra", "Chimera", "Griffin", "Pegasus", "Phoenix", "Sphinx",
    "Cerberus", "Medusa", "Spartan", "Centurion", "Praetor", "Legion", "Ranger",
    "Warden", "Shepherd", "Sapphire", "Emerald", "Ruby", "Topaz", "Onyx", "Jade",
    "Amber", "Pearl", "Opal", "Kestrel", "Osprey", "Heron", "Ibis", "Kingfisher",
    "Albatross", "Cormorant", "Pelican",
)
_EDITIONS: tuple[str, ...] = ("", " II", " III")
_POOL_SEED = 20181218  # fixed: the pool (names, areas, regions) never depends on the seed

_MONTH_SEASON = np.array([0.80, 0.85, 1.00, 1.05, 1.10, 1.20, 1.00, 0.85, 1.10, 1.25, 1.30, 0.90])
_TREND = 0.6  # the last day is 1.6 times as likely as the first
_YEARS = 8
_CHUNK = 500_000  # rows generated at once: bounds memory (about 0.5 GB per chunk)


def _operation_pool() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return names, area index, regions (n x 3), region count and duration per operation."""
    rng = np.random.default_rng(_POOL_SEED)
    area_index = {name: i for i, name in enumerate(CRIME_AREAS)}
    shares = np.array([a[1] for a in _AREAS])
    bases: list[tuple[str, int, tuple[int, ...]]] = [
        (name, area_index[area], regions) for name, area, regions in _KNOWN_OPERATIONS
    ]
    areas = rng.choice(len(CRIME_AREAS), size=len(_NAME_WORDS), p=shares / shares.sum())
    areas[: len(CRIME_AREAS)] = np.arange(len(CRIME_AREAS))  # every area has operations
    for word, area in zip(_NAME_WORDS, areas, strict=True):
        count = int(rng.integers(1, 4))
        bases.append((word, int(area), tuple(int(r) for r in rng.choice(5, count, replace=False))))
    names: list[str] = []
    op_area, op_regions, op_nreg = [], [], []
    for word, area, regions in bases:
        for edition in _EDITIONS:
            names.append(f"Operation {word}{edition}")
            op_area.append(area)
            op_regions.append((regions + (regions[0],) * 3)[:3])
            op_nreg.append(len(regions))
    durations = rng.integers(2, 45, size=len(names))
    return names, np.array(op_area), np.array(op_regions), np.array(op_nreg), durations


def _country_weights() -> tuple[np.ndarray, np.ndarray]:
    """Return per-country cumulative Zipf weights shifted by region, and region offsets.

    Country ``c`` of region ``r`` owns the interval ``(r + F(c-1), r + F(c)]``
    where ``F`` is the region's normalised cumulative weight, so one
    ``searchsorted`` of ``region + uniform`` picks a country inside its region.
    """
    regions = np.array([c[1] for c in _COUNTRIES])
    shifted = np.empty(len(_COUNTRIES))
    for region in range(len(REGIONS)):
        members = np.flatnonzero(regions == region)
        weights = 1.0 / np.arange(1, len(members) + 1) ** 1.1
        shifted[members] = region + np.cumsum(weights) / weights.sum()
        shifted[members[-1]] = region + 1.0  # exact upper bound despite rounding
    return shifted, regions


def _negative_binomial(rng: np.random.Generator, mean: np.ndarray, shape: float) -> np.ndarray:
    """Skewed non-negative integers with the given per-row mean (many zeros, long tail)."""
    mean = np.maximum(mean, 1e-9)
    return rng.negative_binomial(shape, shape / (shape + mean)).astype(np.int64)


def _record_ids(first: int, rows: int) -> np.ndarray:
    """``DEMO-000000001``... built from digit arithmetic, not per-row formatting."""
    numbers = np.arange(first, first + rows, dtype=np.int64)
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    digits = ((numbers[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    prefix = np.frombuffer(b"DEMO-", dtype=np.uint8)
    raw = np.hstack([np.broadcast_to(prefix, (rows, 5)), digits])
    return np.ascontiguousarray(raw).view("S14").ravel().astype(str).astype(object)


def _text(codes: np.ndarray, labels: list[str] | tuple[str, ...]) -> np.ndarray:
    """Labels for codes, with ``None`` (an empty cell) where the code is -1."""
    table = np.array([*labels, None], dtype=object)
    return table[np.where(codes < 0, len(labels), codes)]


def _chunks(rows: int, seed: int, today: date) -> Iterator[dict[str, np.ndarray]]:
    """Yield the records in chunks of at most ``_CHUNK`` rows, each with its own stream."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    for index, first in enumerate(range(0, max(rows, 1), _CHUNK)):
        yield _columns(min(_CHUNK, rows - first), np.random.default_rng([seed, index]), seed, today, first + 1)


def _columns(rows: int, rng: np.random.Generator, seed: int, today: date, first_id: int) -> dict[str, np.ndarray]:
    """Generate every canonical column as a numpy array (object arrays for text)."""

    names, op_area, op_regions, op_nreg, durations = _operation_pool()

    # Operations: Zipf-like popularity over a fixed shuffled order.
    popularity = 1.0 / np.arange(1, len(names) + 1) ** 0.6
    popularity = popularity[np.random.default_rng(_POOL_SEED + 1).permutation(len(names))]
    op = rng.choice(len(names), size=rows, p=popularity / popularity.sum())
    area = op_area[op]

    # Country: one of the operation's regions, then Zipf within that region.
    pick = (rng.random(rows) * op_nreg[op]).astype(np.int64)
    region = op_regions[op, pick]
    shifted, _ = _country_weights()
    country = np.searchsorted(shifted, region + rng.random(rows) * (1 - 1e-12), side="left")
    country = np.minimum(country, len(_COUNTRIES) - 1)

    # Dates: seasonality by month and a slight upward trend, up to today.
    start = today - timedelta(days=365 * _YEARS)
    days = pd.date_range(start, today, freq="D")
    weights = _MONTH_SEASON[days.month.to_numpy() - 1] * (1 + _TREND * np.linspace(0, 1, len(days)))
    cumulative = np.cumsum(weights)
    offset = np.searchsorted(cumulative, rng.random(rows) * cumulative[-1], side="right")
    offset = np.minimum(offset, len(days) - 1)
    day_labels = np.array(days.strftime("%Y-%m-%d"), dtype=object)
    has_end = rng.random(rows) < 0.5
    end_offset = np.minimum(offset + (durations[op] * rng.uniform(0.3, 1.0, rows)).astype(np.int64), len(days) - 1)
    end_offset = np.where(has_end, end_offset, -1)

    # Counts by crime area.
    mean_arrests = np.array([a[2] for a in _AREAS])[area]
    arrests = _negative_binomial(rng, mean_arrests, 0.8)
    p_victims = np.array([a[4] for a in _AREAS])[area]
    mean_victims = np.array([a[5] for a in _AREAS])[area]
    victims = np.where(rng.random(rows) < p_victims, 1 + _negative_binomial(rng, mean_victims, 0.7), 0)

    # Seized item consistent with the area (global item table, chosen per area).
    items = [(ai, *item) for ai, a in enumerate(_AREAS) for item in a[6]]
    item_first = np.cumsum([0] + [len(a[6]) for a in _AREAS])
    item = np.full(rows, -1, dtype=np.int64)
    has_item = rng.random(rows) < np.array([a[3] for a in _AREAS])[area]
    choice = rng.random(rows)
    for ai, a in enumerate(_AREAS):
        mask = has_item & (area == ai)
        item[mask] = item_first[ai] + (choice[mask] * len(a[6])).astype(np.int64)
    item_has_unit = np.array([it[2] != "" for it in items])
    item_by_mass = np.array([it[2] in ("kg", "t") for it in items])
    item_median = np.array([it[3] for it in items], dtype=float)
    item_sigma = np.array([it[4] for it in items], dtype=float)
    item_price = np.array([it[5] for it in items], dtype=float)
    safe = np.maximum(item, 0)
    draw = np.exp(np.log(item_median[safe]) + item_sigma[safe] * rng.standard_normal(rows))
    measured = has_item & item_has_unit[safe]
    quantity = np.where(item_by_mass[safe], np.maximum(np.round(draw, 1), 0.1), np.ceil(draw))
    quantity = np.where(measured, quantity, np.nan)
    value = np.where(measured, quantity * item_price[safe] * rng.lognormal(0, 0.35, rows), draw)
    value = np.where(has_item & (rng.random(rows) < 0.85), np.round(value), np.nan)
    seizures = np.where(has_item, 1 + _negative_binomial(rng, np.full(rows, 2.0), 0.8), 0)

    # City and coordinates near the capital for ~30% of rows.
    located = rng.random(rows) < 0.30
    cap_lat = np.array([c[3] for c in _COUNTRIES])[country]
    cap_lon = np.array([c[4] for c in _COUNTRIES])[country]
    latitude = np.where(located, np.round(cap_lat + rng.normal(0, 0.03, rows), 4), np.nan)
    longitude = np.where(located, np.round(cap_lon + rng.normal(0, 0.03, rows), 4), np.nan)

    # Lead agency: a usual agency for the area, or the country's INTERPOL NCB.
    agency = np.empty(rows, dtype=np.int64)
    agency_pick = rng.random(rows)
    for ai, options in enumerate(_AREA_AGENCIES):
        mask = area == ai
        agency[mask] = np.array(options)[(agency_pick[mask] * len(options)).astype(np.int64)]
    ncb = rng.random(rows) < 0.25
    agency = np.where(ncb, len(_AGENCIES) + country, agency)
    agency_labels = [*_AGENCIES, *(f"INTERPOL NCB {c[2]}" for c in _COUNTRIES)]

    return {
        "record_id": _record_ids(first_id, rows),
        "operation": _text(op, names),
        "date": day_labels[offset],
        "end_date": _text(end_offset, list(day_labels)),
        "country": _text(country, [c[0] for c in _COUNTRIES]),
        "city": _text(np.where(located, country, -1), [c[2] for c in _COUNTRIES]),
        "latitude": latitude,
        "longitude": longitude,
        "crime_area": _text(area, CRIME_AREAS),
        "arrests": arrests,
        "seizures": seizures.astype(np.int64),
        "victims_rescued": victims.astype(np.int64),
        "seized_item": _text(item, [it[1] for it in items]),
        "seized_quantity": quantity,
        "seized_unit": _text(np.where(measured, item, -1), [it[2] for it in items]),
        "seized_value_usd": value,
        "lead_agency": _text(agency, agency_labels),
        "source": np.full(rows, f"ocops demo generator (seed {seed})", dtype=object),
        "notes": np.full(rows, "Synthetic demo record (not real operation results)", dtype=object),
    }


def generate_records(rows: int, seed: int = 42, today: date | None = None) -> pd.DataFrame:
    """Generate ``rows`` synthetic records in the canonical column order.

    Text columns hold ``str`` (missing = NA), dates are ISO ``YYYY-MM-DD``
    strings, counts are int64, coordinates/quantities/values float (NaN =
    none). The same ``seed`` and ``today`` always give the same frame.
    """
    frames = [pd.DataFrame({name: chunk[name] for name in FIELD_NAMES})
              for chunk in _chunks(rows, seed, today or date.today())]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def write_demo_csv(rows: int, out: Path, seed: int = 42, today: date | None = None) -> int:
    """Write ``rows`` synthetic records as canonical CSV (UTF-8, LF) to ``out``; return the count.

    Uses pyarrow's CSV writer when installed (about 10x faster than pandas),
    else pandas. No generated text contains a comma, quote or newline, so no
    cell needs quoting.
    """
    if rows < 0:
        raise OcopsError(f"--rows {rows} is negative: give the number of records to write, 0 or more.")
    out = Path(out)
    try:  # the output path is checked before anything is generated
        out.parent.mkdir(parents=True, exist_ok=True)
        return _write_demo_csv(rows, out, seed, today)
    except OSError as exc:
        raise OcopsError(f"Cannot write {out}: {exc.strerror or exc}. Choose a writable --out path.") from exc


def _write_demo_csv(rows: int, out: Path, seed: int, today: date | None) -> int:
    header = ",".join(FIELD_NAMES) + "\n"
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
    except ImportError:  # pragma: no cover - pyarrow ships with the usual pandas installs
        pa = pa_csv = None
    with open(out, "wb") as handle:
        handle.write(header.encode("utf-8"))
        for chunk in _chunks(rows, seed, today or date.today()):
            if pa is None:
                frame = pd.DataFrame({name: chunk[name] for name in FIELD_NAMES})
                frame.to_csv(handle, index=False, header=False, lineterminator="\n", encoding="utf-8")
                continue
            # from_pandas=True: NaN and None become nulls, written as empty cells.
            table = pa.table({name: pa.array(chunk[name], from_pandas=True) for name in FIELD_NAMES})
            options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
            pa_csv.write_csv(table, handle, write_options=options)
    return rows
