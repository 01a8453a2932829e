"""corpus/vectors/: the shared conversion vectors every client runs (scripts/gen_vectors.py writes them).

Each manifest entry is a ConvertRequest in proto JSON form plus an input file, and either an output file
(the converted bytes must match byte for byte) or an error: the gRPC status, the ErrorInfo reason and
the first BadRequest field.
"""

from __future__ import annotations

import json
import pathlib

from convsvc.corpus.model import Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import show, show_bytes, verdict
from convsvc.engine import ConvertRequest

NAME = "vectors"
DESCRIPTION = "the shared format-pair vectors of corpus/vectors (exact bytes, or status/reason/field)"
ORDER = 30


def discover(suite: Suite, where: Where) -> list[Case]:
    folder = where.corpus / "vectors"
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise SuiteUnavailable(f"no {manifest}")
    module = __name__.rsplit(".", 1)[1]
    cases = []
    for vector in json.loads(manifest.read_text(encoding="utf-8")):
        request = vector["request"]
        pair = tuple(request[side]["format"].removeprefix("FORMAT_").lower() for side in ("source", "target"))
        cases.append(Case(id=f"{NAME}/{vector['id']}", suite=suite.name, module=module, pair=pair,
                          data={"folder": str(folder), "vector": vector}))
    return cases


def convert_request(vector: dict, folder: pathlib.Path) -> ConvertRequest:
    """The vector's request (proto JSON) as the engine's request, with its input file as the payload."""
    from google.protobuf import json_format

    from convsvc.v1 import conversion_pb2 as pb
    from convsvc.wire import format_spec_from_proto, mode_from_proto

    message = json_format.ParseDict(vector["request"], pb.ConvertRequest())
    return ConvertRequest(source=format_spec_from_proto(message.source, "source"),
                          target=format_spec_from_proto(message.target, "target"),
                          payload=(folder / vector["input"]).read_bytes(), mode=mode_from_proto(message.mode))


def judge(case: Case, target) -> Judgement:
    folder = pathlib.Path(case.data["folder"])
    vector = case.data["vector"]
    outcome = target.convert(convert_request(vector, folder))
    if "output" in vector:
        expected = (folder / vector["output"]).read_bytes()
        return verdict(outcome.converted and outcome.payload == expected, show_bytes(expected), show(outcome),
                       outcome, detail="the output differs" if outcome.converted else "refused")
    error = vector["error"]
    got = (outcome.status, outcome.reason, outcome.fields[0] if outcome.fields else None)
    want = (error["code"], error["reason"], error["field"])
    return verdict(not outcome.converted and got == want,
                   f"refused: {want[0]}, reason {want[1]}, first field {want[2]!r}",
                   f"{show(outcome)}\nreason {got[1]}, first field {got[2]!r}" if not outcome.converted
                   else show(outcome), outcome, detail="accepted" if outcome.converted else
                   "status, reason or first field differ")
