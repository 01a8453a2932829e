"""Users' own cases: a folder of case folders, run with `convsvc corpus run --suite path/to/folder`.

Every folder below the suite folder that holds a `case.toml` is a case (its id: the suite folder's
name, then the case folder's path). `case.toml` says what to convert; `input.*` is the payload; the
expectation is an `expected.*` file (the output, byte for byte) or `error = "CODE"` (the refusal's
first issue code, with `error_path` its JSON Pointer when given); `issues = [...]` also requires
exactly those issue codes, in order. The layout and every key: docs/corpus.md.
"""

from __future__ import annotations

import pathlib
import tomllib

from convsvc.corpus.model import FAILED, FORMATS, Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import show, show_bytes, verdict
from convsvc.engine import ConvertRequest, FormatSpec
from convsvc.model import Mode

NAME = "folder"
DESCRIPTION = "your own cases: a folder of case folders (docs/corpus.md)"
ORDER = 1000
USER = True

CASE_FILE = "case.toml"
KEYS = {"description", "from", "to", "mode", "from_encoding", "to_encoding", "from_options", "to_options",
        "from_schema", "to_schema", "from_message", "to_message", "from_reader_schema", "error", "error_path",
        "issues"}


class BadCase(Exception):
    """The case folder does not follow docs/corpus.md."""


def discover(suite: Suite, where: Where) -> list[Case]:
    root = pathlib.Path(suite.root)
    cases = []
    for case_file in sorted(root.rglob(CASE_FILE)):
        folder = case_file.parent
        name = folder.relative_to(root).as_posix()
        if name == ".":
            raise SuiteUnavailable(f"{root} is a case itself: give the folder that holds the case folders")
        try:
            spec = tomllib.loads(case_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            spec = {}
        pair = (str(spec.get("from", "")).lower(), str(spec.get("to", "")).lower())
        cases.append(Case(id=f"{suite.name}/{name}", suite=suite.name, module=__name__.rsplit(".", 1)[1],
                          pair=pair if set(pair) <= set(FORMATS) else None,
                          data={"folder": str(folder), "root": str(root)}, title=str(spec.get("description", ""))))
    if not cases:
        raise SuiteUnavailable(f"no cases in {root}: a case is a folder holding {CASE_FILE} (docs/corpus.md)")
    return cases


def judge(case: Case, target) -> Judgement:
    folder = pathlib.Path(case.data["folder"])
    try:
        spec, request, expected = _read(folder, pathlib.Path(case.data["root"]))
    except BadCase as error:
        return Judgement(FAILED, detail=f"{folder / CASE_FILE}: {error}")
    outcome = target.convert(request)
    faults = []
    if expected is not None:
        want = show_bytes(expected)
        if not outcome.converted:
            faults.append("refused")
        elif outcome.payload != expected:
            faults.append("the output differs from the expected file")
    else:
        want = f"refused: {spec['error']}" + (f" at {spec['error_path'] or '(root)'}" if "error_path" in spec else "")
        first = outcome.first
        if outcome.converted:
            faults.append("converted, but a refusal was expected")
        elif first.code.name != spec["error"] or ("error_path" in spec and first.path != spec["error_path"]):
            faults.append("another refusal")
    if "issues" in spec:
        want += "\nissues: " + " ".join(spec["issues"])
        if list(outcome.codes) != list(spec["issues"]):
            faults.append("the issue codes differ")
    got = show(outcome) + (f"\nissues: {' '.join(outcome.codes)}" if "issues" in spec else "")
    return verdict(not faults, want, got, outcome, detail="; ".join(faults))


def _read(folder: pathlib.Path, root: pathlib.Path) -> tuple[dict, ConvertRequest, bytes | None]:
    """case.toml, the input and the expected output (None when an error is expected), checked."""
    try:
        spec = tomllib.loads((folder / CASE_FILE).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise BadCase(f"not TOML: {error}") from None
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise BadCase(f"unknown keys {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    for key in ("from", "to"):
        if str(spec.get(key, "")).lower() not in FORMATS:
            raise BadCase(f"`{key}` must be one of {', '.join(FORMATS)}")
    try:
        mode = Mode(str(spec.get("mode", "fragile")).lower())
    except ValueError:
        raise BadCase("`mode` must be fragile or robust") from None
    inputs = _files(folder, "input")
    if len(inputs) != 1:
        raise BadCase(f"expected one input.* file, found {len(inputs)}")
    outputs = _files(folder, "expected")
    if len(outputs) + ("error" in spec) != 1:
        raise BadCase("give exactly one of: an expected.* file (the output) or `error = \"CODE\"`")
    source = FormatSpec(spec["from"].lower(), spec.get("from_encoding", ""), _options(spec, "from_options"),
                        schema=_schema(spec.get("from_schema"), folder, root),
                        message_type=spec.get("from_message", ""),
                        reader_schema=_schema(spec.get("from_reader_schema"), folder, root))
    target = FormatSpec(spec["to"].lower(), spec.get("to_encoding", ""), _options(spec, "to_options"),
                        schema=_schema(spec.get("to_schema"), folder, root), message_type=spec.get("to_message", ""))
    request = ConvertRequest(source=source, target=target, payload=inputs[0].read_bytes(), mode=mode)
    return spec, request, outputs[0].read_bytes() if outputs else None


def _files(folder: pathlib.Path, stem: str) -> list[pathlib.Path]:
    return sorted(path for path in folder.iterdir() if path.is_file() and path.name.split(".", 1)[0] == stem)


def _options(spec: dict, key: str) -> dict[str, str]:
    options = spec.get(key, {})
    if not isinstance(options, dict):
        raise BadCase(f"`{key}` must be a table of NAME = \"VALUE\"")
    return {name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in options.items()}


def _schema(ref: str | None, folder: pathlib.Path, root: pathlib.Path):
    """id:N, subject:NAME[@VERSION], or a schema file in the case folder or else the suite folder (the
    same forms as `convsvc convert --from-schema`)."""
    from convsvc.cli.main import UsageError, _schema_ref

    if ref is None:
        return None
    if not ref.startswith(("id:", "subject:")):
        path = folder / ref if (folder / ref).exists() else root / ref
        if not path.exists():
            raise BadCase(f"schema file {ref} is neither in the case folder nor in the suite folder")
        ref = str(path)
    try:
        return _schema_ref(ref)
    except UsageError as error:
        raise BadCase(str(error)) from None
