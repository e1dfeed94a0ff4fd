"""The sync protocol and engine. No Flask here: functions take a SQLAlchemy session.

See docs/sync-protocol.md.
"""
PROTOCOL_VERSION = 1
