"""Side-by-side pushes of the reference client (sync.client): the run of new records at
the head of the outbox goes up as several batches in flight at once, each on its own lane
(a fork of the transport), push only. It works through the client's own request,
response and store methods: a part of SyncClient kept in a file of its own.
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.client import SyncClient


def push_side_by_side(client: SyncClient, stats: dict[str, int], batch: int,
                      lanes_wanted: int) -> None:
    """Push the run of new records at the head of the outbox as batches in flight at
    once, push only (pull_limit 0), each acknowledged as its response arrives.

    New records depend on nothing pushed in the same run (a record's resident or
    household was created by an earlier op, which ends the run), so their order on
    the server does not matter. The ordinary exchange that follows pulls from the
    cursor, which these requests moved only over the device's own changes, as far as
    their `own_seqs` joined up (`_apply_push_only`). A failure ends the run: what was
    acknowledged stays acknowledged, the rest stays pending. `batch` is the size of a
    full batch, `lanes_wanted` how many are in flight at once."""

    def creates_after(counter: int) -> list[dict[str, Any]]:
        return client._outbox_batch(counter, creates_only=True, limit=batch)

    first = creates_after(0)
    if len(first) < batch:  # one batch or less: the ordinary exchange sends it
        return
    lanes = [client.transport] + [client.transport.fork() for _ in range(lanes_wanted - 1)]
    free = list(lanes)
    in_flight: dict[Any, tuple[Any, list]] = {}
    error: BaseException | None = None

    def encoded(ops: list[dict[str, Any]]) -> tuple | None:
        """The request for `ops`, or None when they are a short tail (it goes with the
        ordinary exchange)."""
        if len(ops) < batch:
            return None
        return ops, client._encode(client.build_request(ops, pull_limit=0), auth=True,
                                   gzip_body=True)

    # The next request is read and encoded while the lanes are busy, and a lane whose
    # response arrives is handed it before that response is stored: the client's work
    # stays off the path from one batch to the next (docs/benchmarks.md#push).
    ready = encoded(first)
    own: list[tuple[int, int]] = []  # the responses' own_seqs, to move the cursor over
    with ThreadPoolExecutor(len(lanes)) as pool:

        def send(lane: Any) -> list[dict[str, Any]]:
            ops, request = ready
            in_flight[pool.submit(lane.post, "/api/sync", *request)] = (lane, ops)
            return ops

        while True:
            while error is None and free and ready is not None:
                ops = send(free.pop())
                ready = encoded(creates_after(ops[-1]["device_counter"]))
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                lane, sent = in_flight.pop(future)
                following = None
                if error is None and ready is not None:
                    following = send(lane)
                    ready = None
                else:
                    free.append(lane)
                try:
                    response = client._decode(*future.result())
                    client._apply_push_only(response, sent, own)
                    client._count(stats, sent, response)
                except BaseException as e:  # the others still land before it is raised
                    error = error or e
                if following is not None and error is None:
                    ready = encoded(creates_after(following[-1]["device_counter"]))
    for lane in lanes[1:]:
        lane.close()
    if error is not None:
        raise error

