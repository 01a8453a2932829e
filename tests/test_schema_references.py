"""Convert with schemas named by registry id or subject+version (the registry as the engine's resolver)."""

from __future__ import annotations

import json

import pytest

from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef
from convsvc.model import Code, Mode, NotFound, Unimplemented
from convsvc.registry import Reference, SchemaInput, SchemaType, open_registry
from convsvc.registry.resolver import RegistrySchemas

CUSTOMER = '{"type": "record", "name": "Customer", "namespace": "acme", "fields": [{"name": "name", "type": "string"}]}'
ORDER_V1 = ('{"type": "record", "name": "Order", "namespace": "acme", "fields": ['
            '{"name": "id", "type": "long"}, {"name": "customer", "type": "acme.Customer"}]}')
ORDER_V2 = ('{"type": "record", "name": "Order", "namespace": "acme", "fields": ['
            '{"name": "id", "type": "long"}, {"name": "customer", "type": "acme.Customer"},'
            '{"name": "note", "type": "string", "default": "none"}]}')


@pytest.fixture
def engine(tmp_path):
    registry = open_registry(str(tmp_path / "registry.db"))
    registry.register("customer", SchemaInput(CUSTOMER))
    reference = (Reference(name="acme.Customer", subject="customer", version=1),)
    ids = [registry.register("orders-value", SchemaInput(text, SchemaType.AVRO, reference)).id
           for text in (ORDER_V1, ORDER_V2)]
    yield Engine(schemas=RegistrySchemas(registry)), ids
    registry.close()


def convert(engine: Engine, payload: bytes, source: FormatSpec, target: FormatSpec, mode=Mode.FRAGILE) -> bytes:
    return engine.convert(ConvertRequest(source=source, target=target, payload=payload, mode=mode)).payload


ORDER = {"id": 7, "customer": {"name": "Ada"}}


def test_json_to_avro_by_schema_id_and_back_by_subject_version(engine):
    engine, (v1, _) = engine
    avro = convert(engine, json.dumps(ORDER).encode(), FormatSpec("json"), FormatSpec("avro", schema=SchemaRef(id=v1)))
    assert avro == b"\x0e\x06Ada"
    back = convert(engine, avro, FormatSpec("avro", schema=SchemaRef(subject="orders-value", version=1)), FormatSpec("json"))
    assert json.loads(back) == ORDER


def test_writer_id_and_reader_id_evolve_the_record_in_one_request(engine):
    engine, (v1, v2) = engine
    avro = convert(engine, json.dumps(ORDER).encode(), FormatSpec("json"), FormatSpec("avro", schema=SchemaRef(id=v1)))
    source = FormatSpec("avro", schema=SchemaRef(id=v1), reader_schema=SchemaRef(id=v2))
    assert json.loads(convert(engine, avro, source, FormatSpec("json"))) == {**ORDER, "note": "none"}


def test_latest_version_is_used_when_none_is_given(engine):
    engine, _ = engine
    avro = convert(engine, json.dumps({**ORDER, "note": "x"}).encode(), FormatSpec("json"),
                   FormatSpec("avro", schema=SchemaRef(subject="orders-value")))
    assert avro.endswith(b"\x02x")


def test_unknown_id_is_not_found_naming_the_field(engine):
    engine, _ = engine
    with pytest.raises(NotFound) as caught:
        convert(engine, b"{}", FormatSpec("json"), FormatSpec("avro", schema=SchemaRef(id=999)))
    issue = caught.value.issues[0]
    assert (issue.code, issue.path) == (Code.SCHEMA_NOT_FOUND, "target.schema")


def test_unknown_subject_is_not_found(engine):
    engine, _ = engine
    with pytest.raises(NotFound):
        convert(engine, b"{}", FormatSpec("json"), FormatSpec("avro", schema=SchemaRef(subject="nope")))


def test_engine_without_registry_answers_unimplemented():
    with pytest.raises(Unimplemented):
        convert(Engine(), b"{}", FormatSpec("json"), FormatSpec("avro", schema=SchemaRef(id=1)))


def test_lookups_by_id_and_numbered_version_are_cached_and_latest_is_not(tmp_path):
    from convsvc.registry import resolver

    registry = open_registry(str(tmp_path / "cache.db"))
    first = registry.register("points-value", SchemaInput(CUSTOMER)).id
    calls = []
    for name in ("schema_by_id", "schema_by_subject"):
        original = getattr(registry, name)
        setattr(registry, name, lambda *args, _original=original, _name=name: calls.append(_name) or _original(*args))
    now = [0.0]
    schemas = RegistrySchemas(registry, clock=lambda: now[0])
    for _ in range(3):
        assert schemas.source_by_id(first).registry_id == first
        assert schemas.source_by_subject("points-value", 1).registry_id == first
        assert schemas.source_by_subject("points-value").registry_id == first
    assert calls == ["schema_by_id", "schema_by_subject"] + ["schema_by_subject"] * 3  # latest each time
    customer_v2 = CUSTOMER.replace(']}', ', {"name": "vip", "type": "boolean", "default": false}]}')
    second = registry.register("points-value", SchemaInput(customer_v2)).id
    assert schemas.source_by_subject("points-value").registry_id == second  # a new version is used at once
    registry.delete_subject("points-value")
    registry.delete_subject("points-value", permanent=True)
    assert schemas.source_by_id(first).registry_id == first  # still cached ...
    now[0] += resolver.CACHE_SECONDS
    with pytest.raises(LookupError):  # ... until it expires
        schemas.source_by_id(first)
    registry.close()
