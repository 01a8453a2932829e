"""The engine stops between records when its caller gives up (the hook the server's deadlines use)."""

from __future__ import annotations

import time

import pytest

from convsvc.engine import ConvertRequest, Engine, FormatSpec
from convsvc.model import Cancelled, CancelToken, Limits, Mode

JSONL = FormatSpec("json", "jsonl")
LINES = b"".join(b'{"n": %d}\n' % n for n in range(200_000))


def convert(payload: bytes, cancel: CancelToken | None):
    engine = Engine(Limits(max_documents=1_000_000))
    return engine.convert(ConvertRequest(source=JSONL, target=JSONL, payload=payload), cancel)


def test_a_cancelled_token_stops_the_conversion_before_any_work():
    token = CancelToken()
    token.cancel("cancelled")
    with pytest.raises(Cancelled) as caught:
        convert(LINES, token)
    assert caught.value.reason == "cancelled"


def test_a_deadline_that_passes_midway_stops_a_json_lines_conversion_within_records():
    token = CancelToken(deadline=time.monotonic() + 0.01)
    with pytest.raises(Cancelled) as caught:
        convert(LINES, token)
    assert caught.value.reason == "deadline"


def test_a_stream_stops_at_the_next_record_once_cancelled():
    token = CancelToken()
    stream = Engine().open_stream(JSONL, JSONL, Mode.FRAGILE, cancel=token)
    assert stream.convert_record(b"[1]").payload == b"[1]\n"
    token.cancel("cancelled")
    with pytest.raises(Cancelled):
        stream.convert_record(b"[2]")


def test_without_a_token_or_before_its_deadline_nothing_changes():
    assert convert(b'{"a": 1}\n', None).payload == b'{"a":1}\n'
    assert convert(b'{"a": 1}\n', CancelToken(deadline=time.monotonic() + 60)).payload == b'{"a":1}\n'
