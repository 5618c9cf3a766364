"""What an import (or a dry run) tells the user."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RowError:
    """One problem with one value: the pandera-style (row, column, value, check)."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class ImportReport:
    """The JSON object of CONTRACT.md section 6 (plus a few extras)."""

    file: str
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    header_row: int = 1
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {"from": header, "how": ...}
    skipped: int = 0
    skipped_by: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None
    updated_from_batches: list[int] = field(default_factory=list)
    dry_run: bool = False
    all_or_nothing: bool = False
    detected: dict[str, Any] = field(default_factory=dict)
    unknown_items: list[str] = field(default_factory=list)  # seized items counted as "Other"

    @property
    def exit_code(self) -> int:
        """0 when every row was accepted, 1 when some were rejected."""
        return 1 if self.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data, contract keys first."""
        data = asdict(self)
        ordered = {k: data[k] for k in ("batch_id", "file", "rows_read", "imported", "updated",
                                         "unchanged", "rejected", "errors", "ignored_columns",
                                         "header_row", "columns", "skipped", "skipped_by")}
        ordered.update({k: v for k, v in data.items() if k not in ordered})
        return ordered
