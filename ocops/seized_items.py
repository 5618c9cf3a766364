"""The seized-item vocabulary (CONTRACT.md section 1, several quantities).

Items and their aliases live in a data file (``data/seized_items.csv``,
columns ``item,aliases``, aliases separated by ``|``) that a deployment may
replace, matched like crime areas (case, accents, punctuation, plurals).
An item that matches nothing is never rejected: it is kept as written and
grouped as "Other"; the import report lists it so that it can be mapped.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ocops.config import DATA_DIR
from ocops.taxonomy import Taxonomy, read_entries

DEFAULT_SEIZED_ITEMS_FILE = DATA_DIR / "seized_items.csv"
OTHER_ITEM = "Other"


class SeizedItems:
    """Seized items with their aliases; unknown wordings group as "Other"."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Build from ``(item, aliases)`` pairs in display order."""
        self._matcher = Taxonomy(entries)
        self.items: tuple[str, ...] = self._matcher.areas
        if OTHER_ITEM not in self.items:
            self.items = (*self.items, OTHER_ITEM)

    def resolve(self, value: str) -> str | None:
        """The vocabulary item ``value`` names (name or alias), or None."""
        return self._matcher.resolve(value)

    def group(self, value: str | None) -> str:
        """The item a written value counts under: its vocabulary item, else "Other"."""
        return (self.resolve(value) if value else None) or OTHER_ITEM

    def suggest(self, value: str, limit: int = 3) -> list[str]:
        """The closest items to an unknown wording, best first."""
        return self._matcher.suggest(value, limit)


def load_seized_items(path: Path | None = None) -> SeizedItems:
    """Load the seized items from ``path`` (default: the bundled ``data/seized_items.csv``);
    raises :class:`~ocops.errors.DataFileError` naming the line of a problem."""
    return _load_cached(Path(path or DEFAULT_SEIZED_ITEMS_FILE).resolve())


@lru_cache(maxsize=8)
def _load_cached(path: Path) -> SeizedItems:
    return SeizedItems(read_entries(path, "item", "seized-item", "seized items"))
