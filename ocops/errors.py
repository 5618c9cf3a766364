"""Named exceptions whose message is what a user reads.

Every error the product raises on bad input derives from :class:`OcopsError`;
the CLI and the UI turn them into one plain sentence (never a traceback).
"""

from __future__ import annotations


class OcopsError(Exception):
    """Base of every error ocops shows to a user.

    ``str(error)`` is a complete sentence saying what went wrong and what to do.
    """

    exit_code: int = 2


class ConfigError(OcopsError):
    """The configuration (database URL, data files) cannot be used."""


class StoreError(OcopsError):
    """The database cannot be reached or used."""


class UnusableFile(OcopsError):
    """A file that cannot be imported at all; nothing was written."""


class MappingError(OcopsError):
    """A column mapping (JSON) that is malformed or names unknown fields."""


class UnknownBatch(OcopsError):
    """A batch id that does not exist."""


class BadFilter(OcopsError):
    """A filter value (region, country, crime area, date) that cannot be understood."""


class DataFileError(OcopsError):
    """A bundled or replaced data file (regions, crime areas) is malformed."""


class BatchAlreadyRemoved(UnknownBatch):
    """A batch that was removed before (it stays listed; its number is never reused)."""
class AccessDenied(OcopsError):
    """The signed-in user's role or scope does not allow what was asked."""


class AuditTampered(OcopsError):
    """The hash chain of the audit log does not verify: it was changed outside ocops."""

    exit_code = 1
