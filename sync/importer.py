"""Import records from another system through the sync protocol, as a phone would.

Each line of the input is one JSON object: {"entity": "record"|"resident"|"household",
"id": optional UUID (keep the other system's id if it is one), "data": {...}} with the
same fields as the REST API. Everything goes through the server's validation; rejected
lines are written to a report with their reasons, accepted ones are never sent twice
(the local store keeps the outbox, so an interrupted import resumes where it stopped).

    python -m sync.importer --url http://127.0.0.1:8000 --username staff01 \\
        --store /tmp/import.sqlite records.jsonl
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import uuid
from pathlib import Path

from sync.client import HttpTransport, SyncClient

ENTITIES = ("household", "resident", "record")


def queue_file(client: SyncClient, path: Path) -> tuple[int, list[str]]:
    """Queue every valid line; return (queued, problems with line numbers)."""
    queued, problems = 0, []
    known = {row["id"] for row in client.pending()} | {
        r["id"] for r in client.results().values()}
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                entity, data = item["entity"], item["data"]
                entity_id = str(uuid.UUID(item["id"])) if item.get("id") else None
            except (ValueError, KeyError, TypeError) as e:
                problems.append(f"line {n}: unreadable ({type(e).__name__})")
                continue
            if entity not in ENTITIES or not isinstance(data, dict):
                problems.append(f"line {n}: entity must be one of {', '.join(ENTITIES)}")
                continue
            if entity_id is not None and entity_id in known:
                continue  # queued by an earlier, interrupted run
            client.create(entity, data, entity_id=entity_id)
            queued += 1
    return queued, problems


def rejected_report(client: SyncClient) -> list[dict]:
    """The ops the server refused, with its reasons."""
    return [{"id": p["id"], "entity": p["entity"], "errors": json.loads(p["errors"] or "{}")}
            for p in client.pending() if p["status"] == "rejected"]


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", required=True)
    parser.add_argument("--store", type=Path, required=True,
                        help="local SQLite store (keep it to resume an interrupted import)")
    parser.add_argument("--report", type=Path, help="write rejected lines here (JSON)")
    args = parser.parse_args(argv)
    client = SyncClient(str(args.store), HttpTransport(args.url))
    if client.device_id is None:
        client.enrol(args.username, getpass.getpass("password: "), label="import")
    queued, problems = queue_file(client, args.file)
    stats = client.sync()
    rejected = rejected_report(client)
    print(f"queued {queued}, pushed {stats['pushed']}, rejected {len(rejected)}, "
          f"unreadable {len(problems)}")
    for p in problems:
        print(p, file=sys.stderr)
    if args.report:
        args.report.write_text(json.dumps(rejected, ensure_ascii=False, indent=1))
    return 1 if rejected or problems else 0


if __name__ == "__main__":
    sys.exit(main())
