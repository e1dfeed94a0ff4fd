"""Marshmallow schemas: every request body is loaded through one of these."""
