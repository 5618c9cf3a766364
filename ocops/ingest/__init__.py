"""Reading, mapping, normalising and validating uploaded files.

Nothing here writes to the store: ``ocops.importer`` applies the result.
"""
