"""The registry as the engine's schema resolver: a reference by id or subject -> a SchemaSource."""

from __future__ import annotations

from convsvc.registry import errors
from convsvc.registry.core import LATEST, Registry
from convsvc.registry.model import StoredSchema
from convsvc.schemas import Reference, SchemaSource


class RegistrySchemas:
    """Looks schemas up in a Registry, with their references resolved (dependencies first)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def source_by_id(self, schema_id: int, message_type: str = "") -> SchemaSource:
        """LookupError (with a message for the caller) when there is no such schema."""
        try:
            return self._source(self._registry.schema_by_id(schema_id), message_type)
        except errors.RegistryError as error:
            raise LookupError(str(error)) from None

    def source_by_subject(self, subject: str, version: int = 0, message_type: str = "") -> SchemaSource:
        """Version 0 means the latest live version."""
        try:
            found = self._registry.schema_by_subject(subject, version or LATEST)
            return self._source(found.schema, message_type)
        except errors.RegistryError as error:
            raise LookupError(str(error)) from None

    def _source(self, schema: StoredSchema, message_type: str) -> SchemaSource:
        references = tuple(Reference(name=dependency.name, type=dependency.type.value.lower(), text=dependency.text)
                           for dependency in self._registry.dependencies(schema))
        return SchemaSource(type=schema.type.value.lower(), text=schema.text, message_type=message_type,
                            references=references, registry_id=schema.id)
