"""The table of formats: one codec module per format, looked up by name.

A codec is imported the first time a conversion names its format, so a command that converts YAML to
JSON does not pay for the Avro, Protobuf and XML codecs (hundreds of milliseconds of imports); a server
calls `FORMATS.load_all()` at start so that no call pays for an import.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from types import ModuleType

# name -> module, in the order formats are listed (ListFormats, `convsvc formats`); each module's NAME is its key
_CODECS = {
    "json": "convsvc.formats.json_codec",
    "yaml": "convsvc.formats.yaml_codec",
    "avro": "convsvc.formats.avro_codec",
    "protobuf": "convsvc.formats.protobuf_codec",
    "xml": "convsvc.formats.xml_codec",
}


class Formats(Mapping[str, ModuleType]):
    """format name -> codec module, imported on first use (a read-only mapping)."""

    def __init__(self, codecs: Mapping[str, str]) -> None:
        self._codecs = dict(codecs)
        self._loaded: dict[str, ModuleType] = {}

    def __getitem__(self, name: str) -> ModuleType:
        codec = self._loaded.get(name)
        if codec is None:
            if name not in self._codecs:
                raise KeyError(name)
            __import__(self._codecs[name])  # the import statement's path: `python -X importtime` shows it
            codec = self._loaded[name] = sys.modules[self._codecs[name]]
        return codec

    def __contains__(self, name: object) -> bool:
        return name in self._codecs  # without importing the codec

    def __iter__(self) -> Iterator[str]:
        return iter(self._codecs)

    def __len__(self) -> int:
        return len(self._codecs)

    def load_all(self) -> None:
        """Import every codec now (a server, before its first call)."""
        for name in self._codecs:
            self[name]


FORMATS = Formats(_CODECS)
