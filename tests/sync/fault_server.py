"""A server process for the SIGKILL test: serves the app on 127.0.0.1:<port> and, when
FAULT_MODE is set, pauses inside the first push (before or after its commit) after
touching FAULT_FLAG, so the test can kill it at exactly that moment."""
from __future__ import annotations

import os
import pathlib
import secrets
import sys
import time

from werkzeug.serving import make_server

import server.api.sync as sync_api
import sync.engine as engine
from server import create_app

MODE = os.environ.get("FAULT_MODE", "")
FLAG = pathlib.Path(os.environ.get("FAULT_FLAG", "/nonexistent"))


def _pause() -> None:
    if not FLAG.exists():
        FLAG.write_text(MODE)
        time.sleep(60)


if MODE == "before_commit":
    _apply = engine.apply_push

    def apply_push(*args, **kwargs):
        results = _apply(*args, **kwargs)
        _pause()  # applied in the transaction, not committed
        return results

    engine.apply_push = apply_push
elif MODE == "after_commit":
    _handle = sync_api.handle_sync

    def handle_sync(*args, **kwargs):
        text = _handle(*args, **kwargs)
        _pause()  # committed, response not yet sent
        return text

    sync_api.handle_sync = handle_sync

if __name__ == "__main__":
    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["FAULT_DB"],
                      "SECRET_KEY": secrets.token_hex(32)})
    make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
