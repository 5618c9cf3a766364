"""Reading, mapping, normalising and validating uploaded files.

Nothing here writes to the store: ``ocops.importer`` applies the result.
``inspect`` describes a file for the upload page's mapping step.
"""

from ocops.ingest.inspection import FileInspection, inspect

__all__ = ["FileInspection", "inspect"]
