"""The benchmarks' inputs, made deterministically: the example Order (schemas/examples) grown to about
1 KB, batches of such orders up to 1 MB or 10 MB, and small events for the 1-million-record stream."""

from __future__ import annotations

import json
import random

from bench.common import ROOT

EXAMPLES = ROOT / "schemas" / "examples"
ORDER_AVSC = (EXAMPLES / "order.avsc").read_text()
ORDER_PROTO = (EXAMPLES / "order.proto").read_text()
ORDER_MESSAGE = "acme.v1.Order"
KB = 1024
MB = 1024 * 1024


def order(number: int, lines: int = 22) -> dict:
    """One order as JSON data (the schemas' JSON form): about 1.3 KB of JSON with 22 lines."""
    rng = random.Random(number)
    return {
        "id": 9007199254740993 + number,
        "customer": f"Customer {number} — 数学者 ✓",
        "status": rng.choice(["STATUS_NEW", "STATUS_PAID"]),
        "lines": [{"sku": f"SKU-{number % 97:02d}-{line:04d}", "qty": rng.randrange(1, 9),
                   "price": f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}"} for line in range(lines)],
        "tags": {"vip": number % 3 == 0, "gift": number % 5 == 0},
        "note": "leave at the door" if number % 2 else None,
        "placed_at": f"2024-05-{number % 28 + 1:02d}T10:{number % 60:02d}:00.123456+00:00",
        "signature": "AAECAwQF/w==",
        "weight": round(rng.uniform(0.1, 30.0), 3),
    }


def order_json(number: int = 1) -> bytes:
    return json.dumps(order(number), ensure_ascii=False, separators=(",", ":")).encode()


def orders_jsonl(size: int) -> bytes:
    """Orders as JSON Lines, just under `size` bytes."""
    out, total, number = [], 0, 0
    while True:
        line = order_json(number) + b"\n"
        if total + len(line) > size:
            return b"".join(out)
        out.append(line)
        total += len(line)
        number += 1


def orders_array(size: int) -> list[dict]:
    """As many orders as fit in about `size` bytes of compact JSON."""
    orders, total, number = [], 2, 0
    while True:
        item = order(number)
        length = len(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()) + 1
        if total + length > size:
            return orders
        orders.append(item)
        total += length
        number += 1


def event_json(number: int) -> bytes:
    """A small event record (about 120 bytes of JSON) for the 1-million-record stream."""
    return (b'{"id":%d,"user":"user-%d","kind":"%s","amount":%d.%02d,"ok":%s,"at":"2024-05-01T10:%02d:%02dZ"}'
            % (number, number % 1000, (b"click", b"view", b"buy")[number % 3], number % 500, number % 100,
               b"true" if number % 2 else b"false", number // 60 % 60, number % 60))


EVENT_AVSC = json.dumps({
    "type": "record", "name": "Event", "namespace": "bench",
    "fields": [{"name": "id", "type": "long"}, {"name": "user", "type": "string"},
               {"name": "kind", "type": "string"}, {"name": "amount", "type": "double"},
               {"name": "ok", "type": "boolean"}, {"name": "at", "type": "string"}],
})
