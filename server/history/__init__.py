"""Bringing a township's history in on its first day (issue 18.6).

`flask import-history FILE...` reads the national basic public health system's spreadsheet
export (CSV or xlsx, Chinese column names, one sheet or file per kind: `template.py`),
checks every row with the API's own schemas and services, and stores households,
residents, conditions, follow-ups, 65+ checks and vaccination histories with their
service dates and original entry times, marked as imported in the sync log and the
audit trail (docs/history-import.md, docs/adr/0059-history-import.md).
"""
