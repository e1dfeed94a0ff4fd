"""A conformance suite for sync protocol 1 that anyone can run against a live server:

    python -m sync.conformance URL --user U --password P [--other-user U2 --other-password P2]
        [--staff-user S --staff-password SP] [--admin-user A --admin-password AP]

It enrols its own devices and makes everything it touches afresh (new UUIDs, in the user's
first village), so it can run again and again against the same server. Each case prints
one line, PASS, FAIL or SKIP with a reason; the exit code is 1 when any case failed.
What each case checks is what docs/sync-protocol.md says; the cases are in the
`cases_*` modules. Standard library only: it speaks HTTP itself (sync/conformance/api.py).
"""
