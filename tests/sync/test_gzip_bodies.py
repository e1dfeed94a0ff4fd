"""gzip on the sync path (sync/gz.py): plain gzip whichever library wrote it, and every
bad body refused with its own clear error, nothing of it applied."""
from __future__ import annotations

import gzip
import json
import zlib

import pytest
from records_factory import record_body
from sqlalchemy import func, select

from core.models import ServiceRecord
from server.extensions import db
from sync import gz
from sync.engine import carries_changes
from sync.wire import encode_request

TEXT = json.dumps([{"name": "张三丰", "sbp": 120 + i, "notes": "按时服药"} for i in range(500)],
                  ensure_ascii=False).encode()


@pytest.mark.parametrize("how", [gz.FAST, gz.SMALL])
def test_what_gz_writes_is_plain_gzip(how):
    packed = gz.compress(TEXT, how)
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == TEXT  # any gzip reader (a phone's, a proxy's) reads it
    assert gz.decompress(packed) == TEXT
    assert gz.inflate(packed, len(TEXT)) == TEXT
    assert len(packed) < len(TEXT) / 5


def test_gz_reads_what_zlib_writes():
    for level in (1, 6, 9):
        assert gz.inflate(gzip.compress(TEXT, compresslevel=level), 10**7) == TEXT
        assert gz.decompress(gzip.compress(TEXT, compresslevel=level)) == TEXT


def test_the_small_setting_is_not_larger_than_zlibs_level_6():
    assert len(gz.compress(TEXT, gz.SMALL)) <= len(gzip.compress(TEXT, compresslevel=6))


@pytest.mark.parametrize("bad", [
    b"plain text, not gzip",
    b"\x1f\x8b\x08garbage",  # a gzip magic number and then nonsense
    b"\x1f\x8bnot a method",
    gzip.compress(TEXT)[:40],  # cut short on the way
    gzip.compress(TEXT)[:-4],  # the size trailer missing
    gzip.compress(TEXT) + b"trailing",
])
def test_inflate_refuses_what_is_not_one_whole_gzip_stream(bad):
    with pytest.raises(gz.BadGzip):
        gz.inflate(bad, 10**7)


def test_inflate_stops_at_the_limit():
    bomb = gzip.compress(b"0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(gz.TooLarge):
        gz.inflate(bomb, 1_000_000)
    assert len(gz.inflate(bomb, 5_000_000)) == 5_000_000  # exactly at the limit is fine


def test_decompress_says_oserror_or_eoferror_for_a_damaged_answer():
    # The client turns these into "unreadable response", a retryable SyncError.
    for bad in (b"nonsense", gzip.compress(TEXT)[:50]):
        with pytest.raises((OSError, EOFError)):
            gz.decompress(bad)


def _post(phone_client, body: bytes, encoding: str = "gzip"):
    return phone_client.transport.client.post("/api/sync", data=body, headers={
        "Content-Encoding": encoding, "Accept-Encoding": "gzip",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {phone_client._meta('token')}"})


def _records(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ServiceRecord.id)))


def _request(a, town, n=3) -> bytes:
    for i in range(n):
        a.create("record", record_body(town, sbp=130 + i))
    return encode_request(a.build_request(a._next_ops()))


def test_server_refuses_a_damaged_gzip_body_and_applies_nothing(app, town, phone):
    a = phone()
    body = gzip.compress(_request(a, town))
    for bad in (body[:len(body) // 2], b"\x1f\x8b\x08garbage", body + b"junk"):
        r = _post(a, bad)
        assert r.status_code == 400
        problem = r.get_json()
        assert problem["errors"]["_body"][0]["code"] == "bad_gzip"
        assert problem["errors"]["_body"][0]["message"]
    assert _records(app) == 0
    r = _post(a, body)  # the same body, whole, is applied
    assert r.status_code == 200
    reply = r.get_data()
    if r.headers.get("Content-Encoding") == "gzip":
        reply = gzip.decompress(reply)
    assert [x["status"] for x in json.loads(reply)["results"]] == ["accepted"] * 3
    assert _records(app) == 3


def test_server_refuses_a_zip_bomb(app, town, phone):
    from server.api.sync import MAX_INFLATED

    a = phone()
    request = _request(a, town, 1)
    # Valid JSON that inflates past the limit: the request padded with spaces.
    bomb = zlib.compress(request[:-1] + b" " * (MAX_INFLATED + 10) + b"}", 9,
                         wbits=gz.GZIP_WBITS)
    r = _post(a, bomb)
    assert r.status_code == 413
    assert r.get_json()["code"] == "payload_too_large"
    assert _records(app) == 0


def test_acknowledgements_and_pages_of_changes_both_come_back_gzip(app, town, phone):
    a = phone()
    r = _post(a, gzip.compress(_request(a, town, 30)))
    assert r.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(r.get_data()).decode()
    assert not carries_changes(text)  # acknowledgements only: the fast setting
    reply = json.loads(text)
    assert [x["status"] for x in reply["results"]] == ["accepted"] * 30
    b = phone(name="b", synced=False)
    r = _post(b, gzip.compress(json.dumps(b.build_request([])).encode()))
    assert r.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(r.get_data()).decode()
    assert carries_changes(text)  # a page of changes: the small setting
    page = json.loads(text)
    assert sum(c["entity"] == "record" for c in page["changes"]) == 30
