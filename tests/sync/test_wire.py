"""The reference client's request encoding (sync/wire.py): stored op data spliced in as
stored, with orjson in one call and without it by hand, to the same bytes."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from sync import wire
from sync.wire import RawJSON, encode_request

texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
values = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | texts,
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(texts, inner, max_size=3), max_leaves=8)
ops = st.fixed_dictionaries({
    "op_id": texts, "device_counter": st.integers(0, 10**9), "entity": texts,
    "action": texts, "id": texts, "base_version": st.integers(0, 100), "device_time": texts,
    "data": st.dictionaries(texts, values, max_size=4)}).map(
    lambda op: {**{k: v for k, v in op.items() if k != "data"}, "data": op["data"]})
# (data last, as the client's outbox reads an op; the splicing by hand puts it there)


def _by_hand(body):
    saved = wire._encode_fast
    wire._encode_fast = lambda body: None
    try:
        return encode_request(body)
    finally:
        wire._encode_fast = saved


@given(st.lists(ops, max_size=5), st.booleans())
def test_fast_and_by_hand_encodings_are_the_same_bytes(batch, raw):
    sent = [{**op, "data": RawJSON(wire._dumps(op["data"]))} if raw else op for op in batch]
    body = {"protocol": 1, "cursor": 3, "reference_version": "", "pull_limit": 0,
            "push": sent}
    fast = encode_request(body)
    assert fast == _by_hand(body)
    assert json.loads(fast) == {**body, "push": batch}  # the data is JSON, not a string


def test_a_request_without_pushes_and_an_empty_one():
    for body in ({"protocol": 1, "push": []}, {}):
        assert json.loads(encode_request(body)) == body
        assert encode_request(body) == _by_hand(body)
