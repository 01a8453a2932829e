"""corpus/avro-resolution/: writer/reader schema pairs and the results the Avro specification's
resolution rules give.

Each case: the datum (Avro JSON) is written with the writer schema (Avro JSON to Avro binary), then
read with the writer schema as written and the reader schema to resolve to, into Avro JSON of the
reader schema: equal to `expected`, or refused (InvalidInput) with the `error` code.
"""

from __future__ import annotations

import json
import pathlib

from convsvc.corpus.model import Case, Judgement, Suite, SuiteUnavailable, Where
from convsvc.corpus.suites._judging import request, show, show_value, verdict
from convsvc.engine import FormatSpec, SchemaRef

NAME = "avro-resolution"
DESCRIPTION = "Avro schema resolution: writer/reader pairs and the results the specification's rules give"
ORDER = 50


def discover(suite: Suite, where: Where) -> list[Case]:
    files = sorted((where.corpus / "avro-resolution").glob("*.json"))
    if not files:
        raise SuiteUnavailable(f"no cases in {where.corpus / 'avro-resolution'}")
    module = __name__.rsplit(".", 1)[1]
    return [Case(id=f"{NAME}/{path.stem}", suite=suite.name, module=module, pair=("avro", "avro"),
                 data={"path": str(path)}, title=json.loads(path.read_text(encoding="utf-8")).get("spec", ""))
            for path in files]


def judge(case: Case, target) -> Judgement:
    spec = json.loads(pathlib.Path(case.data["path"]).read_text(encoding="utf-8"))
    writer = SchemaRef(inline_text=json.dumps(spec["writer"]), inline_type="avro")
    reader = SchemaRef(inline_text=json.dumps(spec["reader"]), inline_type="avro")
    written = target.convert(request(json.dumps(spec["datum"]).encode(), FormatSpec("avro", "json", schema=writer),
                                     FormatSpec("avro", schema=writer)))
    if not written.converted:
        return verdict(False, "the datum written with the writer schema", show(written), written,
                       detail="the datum could not be written with the writer schema")
    outcome = target.convert(request(written.payload, FormatSpec("avro", schema=writer, reader_schema=reader),
                                     FormatSpec("avro", "json", schema=reader)))
    if "error" in spec:
        ok = not outcome.converted and outcome.kind == "InvalidInput" and outcome.first.code.name == spec["error"]
        return verdict(ok, f"refused (InvalidInput): {spec['error']}", show(outcome), outcome,
                       detail="accepted" if outcome.converted else "another refusal")
    ok = outcome.converted and json.loads(outcome.payload) == spec["expected"]
    return verdict(ok, show_value(spec["expected"]), show(outcome), outcome,
                   detail="the resolved value differs" if outcome.converted else "refused")
