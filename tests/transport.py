"""A Transport over Flask's test client, with faults a rural link produces on demand."""
from __future__ import annotations

from sync.client import SyncError


class FlaskTransport:
    """Sends requests through `app.test_client()`; cookies kept per transport."""

    def __init__(self, app):
        self.client = app.test_client()
        self.drop_request_next = 0  # requests lost before reaching the server
        self.drop_response_next = 0  # requests applied, but the response is lost
        self.log: list[tuple[str, bytes, dict]] = []

    def post(self, path, body, headers):
        """Deliver (or lose) one request."""
        self.log.append((path, body, dict(headers)))
        if self.drop_request_next:
            self.drop_request_next -= 1
            raise SyncError("network: request lost")
        r = self.client.post(path, data=body, headers=headers)
        if self.drop_response_next:
            self.drop_response_next -= 1
            raise SyncError("network: response lost")
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.get_data()

    def replay(self, index: int = -1):
        """Send an earlier request again, exactly as it was (a duplicated message)."""
        path, body, headers = self.log[index]
        r = self.client.post(path, data=body, headers=headers)
        return r.status_code, r.get_data()
