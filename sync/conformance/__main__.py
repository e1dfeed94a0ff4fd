"""Command line: `python -m sync.conformance URL --user U --password P ...` (see the package
docstring)."""
from __future__ import annotations

import argparse
import sys

from sync.conformance import (  # noqa: F401 - registers the cases
    cases_edges,
    cases_errors,
    cases_foreign,
    cases_status,
    cases_vectors,
)
from sync.conformance.api import Account, Server
from sync.conformance.runner import World, ordered, run

ROLES = {"other": "a doctor of another village (out-of-scope and foreign op_id cases)",
         "staff": "township staff of the user's township (conflicts, the review list)",
         "admin": "a township admin, with SYNC_PURGE_API=1 on the server (purge cases)"}


def parse(argv: list[str]) -> argparse.Namespace:
    """The command's arguments."""
    p = argparse.ArgumentParser(prog="python -m sync.conformance",
                                description="Check a live server against sync protocol 1.")
    p.add_argument("url", help="the server's base URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--user", required=True, help="a village doctor's username")
    p.add_argument("--password", required=True)
    for role, what in ROLES.items():
        p.add_argument(f"--{role}-user", help=what)
        p.add_argument(f"--{role}-password")
    p.add_argument("--only", action="append", help="run only cases whose name contains this")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; 0 when nothing failed, 1 otherwise, 2 for a usage error."""
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.list:
        for name, _fn, needs in ordered():
            print(name + (f"  (needs {', '.join(needs)})" if needs else ""))
        return 0
    server = Server(args.url, args.timeout)
    accounts = {}
    for role in ROLES:
        user, password = getattr(args, f"{role}_user"), getattr(args, f"{role}_password")
        if bool(user) != bool(password):
            print(f"--{role}-user and --{role}-password go together", file=sys.stderr)
            return 2
        accounts[role] = Account(server, user, password) if user else None
    world = World(server, Account(server, args.user, args.password), **accounts)
    return 1 if run(world, args.only) else 0


if __name__ == "__main__":
    sys.exit(main())
