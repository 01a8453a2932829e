"""The registry's semantics, run against both stores (SQLite and PostgreSQL): one contract suite."""

from __future__ import annotations

import json

import pytest

from convsvc.registry import Level, Mode, Reference, SchemaInput, SchemaType, errors
from convsvc.registry.transfer import export_lines, import_lines


def avro(*fields: dict, name: str = "User") -> SchemaInput:
    return SchemaInput(json.dumps({"type": "record", "name": name, "namespace": "acme", "fields": list(fields)}))


ID = {"name": "id", "type": "long"}
EMAIL_DEFAULT = {"name": "email", "type": "string", "default": ""}
EMAIL_REQUIRED = {"name": "email", "type": "string"}


def test_registering_the_same_schema_twice_returns_the_same_id_and_version(registry):
    first = registry.register("users-value", avro(ID))
    again = registry.register("users-value", avro(ID))
    assert (first.id, first.version) == (1, 1)
    assert (again.id, again.version) == (1, 1)
    assert registry.versions("users-value") == [1]


def test_whitespace_does_not_make_a_new_schema(registry):
    compact = registry.register("users-value", avro(ID))
    spaced = SchemaInput(json.dumps(json.loads(avro(ID).text), indent=4))
    assert registry.register("users-value", spaced).version == compact.version


def test_the_same_schema_under_another_subject_gets_the_same_id(registry):
    first = registry.register("users-value", avro(ID))
    other = registry.register("people-value", avro(ID))
    assert (other.id, other.version) == (first.id, 1)
    assert registry.schema_usages(first.id) == [("people-value", 1), ("users-value", 1)]


def test_versions_count_up_and_ids_are_global(registry):
    assert registry.register("a", avro(ID)).id == 1
    assert registry.register("b", avro(ID, name="Other")).id == 2
    second = registry.register("a", avro(ID, EMAIL_DEFAULT))
    assert (second.id, second.version) == (3, 2)
    assert registry.schema_by_subject("a", "latest").version == 2
    assert registry.schema_by_subject("a", 1).id == 1
    assert registry.subjects() == ["a", "b"]
    assert registry.subjects(prefix="b") == ["b"]


def test_an_incompatible_schema_is_refused_with_the_path_and_nothing_is_stored(registry):
    registry.register("users-value", avro(ID))
    with pytest.raises(errors.IncompatibleSchema) as refused:
        registry.register("users-value", avro(ID, EMAIL_REQUIRED))
    assert refused.value.error_code == 409
    [reason] = refused.value.reasons
    assert (reason.code, reason.path, reason.old_version) == ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1", 1)
    assert registry.versions("users-value") == [1]


def test_check_is_a_dry_run_with_reasons(registry):
    registry.register("users-value", avro(ID))
    level, reasons = registry.check("users-value", avro(ID, EMAIL_REQUIRED))
    assert level is Level.BACKWARD
    assert [(r.code, r.path) for r in reasons] == [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")]
    assert registry.check("users-value", avro(ID, EMAIL_DEFAULT)) == (Level.BACKWARD, [])
    assert registry.versions("users-value") == [1]


def test_subject_level_overrides_global_and_falls_back_when_deleted(registry):
    registry.register("users-value", avro(ID))
    registry.set_level("NONE", "users-value")
    assert registry.register("users-value", avro(ID, EMAIL_REQUIRED)).version == 2
    assert registry.get_level("users-value") is Level.NONE
    assert registry.delete_level("users-value") is Level.NONE
    with pytest.raises(errors.CompatibilityNotConfigured):
        registry.get_level("users-value")
    assert registry.get_level("users-value", default_to_global=True) is Level.BACKWARD
    registry.set_level(Level.FULL)
    assert registry.get_level() is Level.FULL
    assert registry.get_level("users-value", default_to_global=True) is Level.FULL


def test_transitive_levels_check_every_live_version(registry):
    registry.set_level("BACKWARD_TRANSITIVE")
    registry.register("s", avro(ID, EMAIL_DEFAULT))
    registry.register("s", avro(ID))  # drops email: a BACKWARD change
    # email back without a default: v1's data has it, v2's does not, so only v2 is a reason
    _, reasons = registry.check("s", avro(ID, EMAIL_REQUIRED))
    assert [r.old_version for r in reasons] == [2]


def test_soft_deleted_versions_are_hidden_but_their_id_still_resolves(registry):
    first = registry.register("users-value", avro(ID))
    registry.register("users-value", avro(ID, EMAIL_DEFAULT))
    assert registry.delete_version("users-value", 1) == 1
    assert registry.versions("users-value") == [2]
    assert registry.versions("users-value", include_deleted=True) == [1, 2]
    assert registry.schema_by_id(first.id).text == \
        '{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}'
    with pytest.raises(errors.VersionNotFound):
        registry.schema_by_subject("users-value", 1)
    assert registry.schema_by_subject("users-value", 1, include_deleted=True).deleted is True
    with pytest.raises(errors.VersionSoftDeleted):
        registry.delete_version("users-value", 1)


def test_permanent_delete_needs_a_soft_delete_first(registry):
    registry.register("users-value", avro(ID))
    with pytest.raises(errors.VersionNotSoftDeleted):
        registry.delete_version("users-value", 1, permanent=True)
    with pytest.raises(errors.SubjectNotSoftDeleted):
        registry.delete_subject("users-value", permanent=True)
    assert registry.delete_subject("users-value") == [1]
    with pytest.raises(errors.SubjectSoftDeleted):
        registry.delete_subject("users-value")
    assert registry.subjects() == []
    assert registry.subjects(include_deleted=True) == ["users-value"]
    assert registry.delete_subject("users-value", permanent=True) == [1]
    assert registry.subjects(include_deleted=True) == []
    with pytest.raises(errors.SchemaNotFound):
        registry.schema_by_id(1)


def test_ids_are_never_reused_after_a_hard_delete(registry):
    registry.register("users-value", avro(ID))
    registry.delete_subject("users-value")
    registry.delete_subject("users-value", permanent=True)
    again = registry.register("users-value", avro(ID))
    assert (again.id, again.version) == (2, 1)


def test_registering_again_after_a_soft_delete_makes_a_new_version_with_the_same_id(registry):
    first = registry.register("users-value", avro(ID))
    registry.delete_subject("users-value")
    again = registry.register("users-value", avro(ID))
    assert (again.id, again.version) == (first.id, 2)


def test_lookup_finds_the_version_holding_a_schema(registry):
    registry.register("users-value", avro(ID))
    registry.register("users-value", avro(ID, EMAIL_DEFAULT))
    assert registry.lookup("users-value", avro(ID)).version == 1
    with pytest.raises(errors.SchemaNotFound):
        registry.lookup("users-value", avro(ID, name="Nope"))
    with pytest.raises(errors.SubjectNotFound):
        registry.lookup("nobody", avro(ID))
    registry.delete_version("users-value", 1)
    with pytest.raises(errors.SchemaNotFound):
        registry.lookup("users-value", avro(ID))
    assert registry.lookup("users-value", avro(ID), include_deleted=True).deleted is True


def test_normalize_registers_the_normal_form_and_matches_equivalent_text(registry):
    with_doc = SchemaInput(json.dumps({"type": "record", "name": "U", "namespace": "acme", "doc": "a user",
                                       "fields": [{"name": "id", "type": {"type": "long"}}]}))
    registered = registry.register("u", with_doc, normalize=True)
    assert registered.schema.text == '{"name":"acme.U","type":"record","fields":[{"name":"id","type":"long"}]}'
    plain = SchemaInput('{"type":"record","name":"U","namespace":"acme","fields":[{"name":"id","type":"long"}]}')
    assert registry.register("u", plain, normalize=True).version == registered.version
    assert registry.lookup("u", plain, normalize=True).id == registered.id


def test_unknown_subjects_versions_and_ids_are_not_found(registry):
    with pytest.raises(errors.SubjectNotFound) as subject:
        registry.versions("nobody")
    assert subject.value.error_code == 40401
    registry.register("a", avro(ID))
    with pytest.raises(errors.VersionNotFound) as version:
        registry.schema_by_subject("a", 7)
    assert version.value.error_code == 40402
    with pytest.raises(errors.SchemaNotFound) as schema:
        registry.schema_by_id(99)
    assert schema.value.error_code == 40403
    with pytest.raises(errors.InvalidVersion):
        registry.schema_by_subject("a", "two")


def test_an_invalid_schema_is_refused_with_its_reason(registry):
    with pytest.raises(errors.InvalidSchema) as refused:
        registry.register("a", SchemaInput('{"type": "record", "name": "X", "fields": [{"name": "f", "type": "nope"}]}'))
    assert refused.value.error_code == 42201
    assert "nope" in refused.value.message
    with pytest.raises(errors.InvalidSchema) as not_json:
        registry.register("a", SchemaInput('{"type": '))
    assert not_json.value.line == 1


def test_readonly_mode_refuses_writes(registry):
    registry.register("a", avro(ID))
    registry.set_mode("READONLY")
    with pytest.raises(errors.OperationNotPermitted) as refused:
        registry.register("a", avro(ID, EMAIL_DEFAULT))
    assert refused.value.error_code == 42205
    with pytest.raises(errors.OperationNotPermitted):
        registry.delete_subject("a")
    registry.set_mode("READWRITE", "a")  # a subject's mode overrides the global one
    assert registry.register("a", avro(ID, EMAIL_DEFAULT)).version == 2
    assert registry.get_mode("a") is Mode.READWRITE
    assert registry.get_mode() is Mode.READONLY


def test_import_mode_keeps_ids_and_later_ids_come_after_them(registry):
    registry.set_mode("IMPORT")
    imported = registry.register("a", avro(ID), schema_id=42, version=3)
    assert (imported.id, imported.version) == (42, 3)
    with pytest.raises(errors.IdConflict) as conflict:
        registry.register("b", avro(ID, name="Other"), schema_id=42, version=1)
    assert conflict.value.error_code == 42207
    with pytest.raises(errors.OperationNotPermitted):
        registry.register("b", avro(ID, name="Other"))  # IMPORT needs the id
    registry.set_mode("READWRITE")
    with pytest.raises(errors.OperationNotPermitted):
        registry.register("b", avro(ID, name="Other"), schema_id=50)  # ids only in IMPORT
    assert registry.register("b", avro(ID, name="Other")).id == 43
    assert registry.register("a", avro(ID, EMAIL_DEFAULT)).version == 4


def test_import_mode_is_refused_while_schemas_exist_unless_forced(registry):
    registry.register("a", avro(ID))
    with pytest.raises(errors.OperationNotPermitted):
        registry.set_mode("IMPORT")
    assert registry.set_mode("IMPORT", force=True) is Mode.IMPORT


def test_references_resolve_transitively_and_protect_what_they_reference(registry):
    address = {"type": "record", "name": "Address", "namespace": "acme", "fields": [{"name": "city", "type": "string"}]}
    registry.register("address", SchemaInput(json.dumps(address)))
    place = {"type": "record", "name": "Place", "namespace": "acme", "fields": [{"name": "at", "type": "acme.Address"}]}
    registry.register("place", SchemaInput(json.dumps(place), references=(Reference("acme.Address", "address", 1),)))
    user = avro(ID, {"name": "home", "type": "acme.Place"})
    registered = registry.register("users-value", SchemaInput(user.text, references=(
        Reference("acme.Place", "place", 1),)))
    assert registered.schema.references == (Reference("acme.Place", "place", 1),)
    assert registry.referenced_by("place", 1) == [registered.id]
    named = registry.compiled(registered.id).extra["named"]
    assert {"acme.Address", "acme.Place", "acme.User"} <= set(named)
    with pytest.raises(errors.ReferenceExists) as refused:
        registry.delete_version("place", 1)
    assert refused.value.error_code == 42206
    with pytest.raises(errors.InvalidSchema):
        registry.register("broken", SchemaInput(user.text, references=(Reference("acme.Place", "place", 9),)))


def test_a_schema_type_change_is_incompatible(registry):
    registry.register("a", avro(ID))
    with pytest.raises(errors.IncompatibleSchema):
        registry.register("a", SchemaInput('{"type": "object"}', SchemaType.JSON))


def test_export_then_import_into_an_empty_store_keeps_everything(registry, tmp_path):
    from convsvc.registry import open_registry

    registry.register("a", avro(ID))
    registry.register("a", avro(ID, EMAIL_DEFAULT))
    registry.register("b", avro(ID))
    registry.register("c", SchemaInput('{"type": "object", "properties": {"x": {"type": "string"}}}', SchemaType.JSON))
    registry.delete_version("a", 1)
    registry.set_level("FULL", "b")
    registry.set_mode("READONLY", "c")
    lines = list(export_lines(registry))
    target = open_registry(str(tmp_path / "copy.db"))
    try:
        summary = import_lines(target, lines)
        assert (summary.schemas, summary.deleted, summary.settings) == (4, 1, 2)
        assert list(export_lines(target)) == lines
        assert target.register("d", avro(ID, name="New")).id == 4  # after the imported ids
        assert target.get_mode() is Mode.READWRITE
    finally:
        target.close()
