"""The lowest layer: the data model and the tools every writer shares, without Flask.

Models, the clock, time-ordered ids, the sync path's JSON, row serialisation, bulk row
building and the change-log writer. Nothing here imports `server` or `sync`, not even
late inside a function (docs/architecture.md, docs/adr/0056-layers-and-import-direction.md;
tests/test_import_direction.py keeps it so).
"""
