"""server/serving.py WaitingAccept: a worker busy running requests leaves a new connection to
an idle worker (ADR 0061).

Two acceptors play two gunicorn workers: each watches its own descriptor of one listening
socket on 127.0.0.1, as forked workers do, in one event loop. Real connections are made
to it; the protocol each acceptor builds records who took the connection.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time

from server.serving import ACCEPT_WAIT_MAX_S, WaitingAccept


class Taken(asyncio.Protocol):
    """Notes, for the test, which acceptor's factory made it."""

    def __init__(self, owner: str, log: list[str]):
        self.owner, self.log = owner, log

    def connection_made(self, transport):
        self.log.append(self.owner)
        transport.close()


def run_acceptors(busy: dict[str, int], connections: int, close_first: str | None = None,
                  gap: float = 0.0) -> tuple[list[str], list[float]]:
    """Make `connections` connections one after another (`gap` seconds apart) to a socket
    watched by acceptors named by `busy` (name -> requests running); returns who took
    each and how long each waited to be taken."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listener.getsockname()[1]
    log: list[str] = []
    waits: list[float] = []

    async def main():
        loop = asyncio.get_running_loop()
        acceptors = {}
        copies = []
        for name, running in busy.items():
            copy = listener.dup()  # one descriptor per worker, as after fork
            copies.append(copy)
            acceptors[name] = WaitingAccept(loop, [copy], lambda n=name: Taken(n, log),
                                            lambda r=running: r)
        if close_first:
            acceptors[close_first].close()
        for i in range(connections):
            started = time.monotonic()
            client = socket.create_connection(("127.0.0.1", port))
            while len(log) <= i:
                await asyncio.sleep(0.001)
                assert time.monotonic() - started < 5, "a connection was never accepted"
            waits.append(time.monotonic() - started)
            client.close()
            await asyncio.sleep(gap)
        for acceptor in acceptors.values():
            acceptor.close()
            await acceptor.wait_closed()
        for copy in copies:
            copy.close()

    # In a thread of its own: the test process may have an event loop running already
    # (Playwright's), and asyncio.run refuses to start inside one.
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as e:  # reported in the test's own thread below
            failed.append(e)

    worker = threading.Thread(target=run)
    try:
        worker.start()
        worker.join(60)
    finally:
        listener.close()
    assert not worker.is_alive(), "the acceptors did not finish within a minute"
    if failed:
        raise failed[0]
    return log, waits


def test_a_busy_worker_leaves_new_connections_to_an_idle_one():
    # Apart by more than a wait, so that no wait left from one connection meets the next
    # (a connection arriving just as a busy worker's wait ends may go to it: a heuristic).
    log, _ = run_acceptors({"busy": 1, "idle": 0}, 20, gap=2 * ACCEPT_WAIT_MAX_S)
    assert log == ["idle"] * 20


def test_the_least_busy_worker_takes_a_connection_when_all_are_busy():
    log, waits = run_acceptors({"very busy": 4, "less busy": 1}, 10,
                               gap=2 * ACCEPT_WAIT_MAX_S)
    assert log == ["less busy"] * 10
    # Nobody refuses it: the wait is a moment, not more.
    assert max(waits) < ACCEPT_WAIT_MAX_S + 1.0


def test_a_lone_busy_worker_still_accepts():
    log, _ = run_acceptors({"only": 3}, 5)
    assert log == ["only"] * 5


def test_a_closed_acceptor_takes_nothing():
    log, _ = run_acceptors({"closed": 0, "open": 2}, 5, close_first="closed")
    assert log == ["open"] * 5
