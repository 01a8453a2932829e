"""3. Against today's glue: convsvc's engine in process against what users write today, on the same
input in the same process: PyYAML's C loader/dumper + json, google.protobuf.json_format, xmltodict + json,
and the json-repair package. Each figure is glue time ÷ convsvc time (above 1: convsvc is faster)."""

from __future__ import annotations

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from bench import payloads  # noqa: E402
from bench.common import Goal, MiB, best_time  # noqa: E402
from bench import repair_bench  # noqa: E402


def _engine():
    from convsvc.engine import ConvertRequest, Engine, FormatSpec, SchemaRef
    from convsvc.model import Mode

    engine = Engine()

    def convert(source: FormatSpec, target: FormatSpec, data: bytes, mode: Mode = Mode.FRAGILE) -> bytes:
        return engine.convert(ConvertRequest(source, target, data, mode)).payload

    return convert, FormatSpec, SchemaRef


def _row(name: str, size: int, ours, theirs, min_seconds: float) -> dict:
    ours_s = best_time(ours, min_seconds=min_seconds)
    theirs_s = best_time(theirs, min_seconds=min_seconds)
    return {"comparison": name, "input_bytes": size, "convsvc_ms": ours_s * 1000, "glue_ms": theirs_s * 1000,
            "speedup": theirs_s / ours_s}


def yaml_rows(sizes: list[int], min_seconds: float) -> list[dict]:
    import yaml

    convert, FormatSpec, _ = _engine()
    rows = []
    for size in sizes:
        document = {"orders": payloads.orders_array(size)} if size > 2 * 1024 else payloads.order(1)
        as_json = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        as_yaml = convert(FormatSpec("json"), FormatSpec("yaml"), as_json)
        label = _size(len(as_yaml))

        def pyyaml_to_json(data=as_yaml):  # the usual glue; default=str for the timestamps YAML 1.1 resolves
            return json.dumps(yaml.load(data, Loader=yaml.CSafeLoader), ensure_ascii=False, default=str).encode()

        def pyyaml_from_json(data=as_json):
            return yaml.dump(json.loads(data), Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False).encode()

        rows.append(_row(f"yaml→json {label}: convsvc vs PyYAML CSafeLoader + json", len(as_yaml),
                         lambda data=as_yaml: convert(FormatSpec("yaml"), FormatSpec("json"), data), pyyaml_to_json,
                         min_seconds))
        rows.append(_row(f"json→yaml {label}: convsvc vs json + PyYAML CSafeDumper", len(as_json),
                         lambda data=as_json: convert(FormatSpec("json"), FormatSpec("yaml"), data), pyyaml_from_json,
                         min_seconds))
    return rows


def protojson_rows(line_counts: list[int], min_seconds: float) -> list[dict]:
    from google.protobuf import json_format

    from convsvc.schemas import SchemaSource, compile_schema

    convert, FormatSpec, SchemaRef = _engine()
    schema = SchemaRef(inline_text=payloads.ORDER_PROTO, inline_type="protobuf")
    binary = FormatSpec("protobuf", schema=schema, message_type=payloads.ORDER_MESSAGE)
    protojson = FormatSpec("protobuf", "json", schema=schema, message_type=payloads.ORDER_MESSAGE)
    message_class = compile_schema(SchemaSource("protobuf", payloads.ORDER_PROTO,
                                                message_type=payloads.ORDER_MESSAGE)).compiled
    rows = []
    for lines in line_counts:
        document = payloads.order(1, lines=lines)
        data = convert(FormatSpec("json"), binary, json.dumps(document).encode())
        text = convert(binary, protojson, data)
        label = _size(len(data))
        rows.append(_row(f"protobuf→ProtoJSON {label}: convsvc vs json_format.MessageToJson", len(data),
                         lambda: convert(binary, protojson, data),
                         lambda: json_format.MessageToJson(message_class.FromString(data), indent=None).encode(),
                         min_seconds))
        rows.append(_row(f"ProtoJSON→protobuf {label}: convsvc vs json_format.Parse", len(text),
                         lambda: convert(protojson, binary, text),
                         lambda: json_format.Parse(text, message_class()).SerializeToString(), min_seconds))
    return rows


def xml_rows(sizes: list[int], min_seconds: float) -> list[dict]:
    import xmltodict

    convert, FormatSpec, _ = _engine()
    rows = []
    for size in sizes:
        if size > 2 * 1024:
            value = {"orders": {"order": payloads.orders_array(size)}}
            xml = convert(FormatSpec("json"), FormatSpec("xml"), json.dumps(value, ensure_ascii=False).encode())
            spec = FormatSpec("xml")
        else:
            spec = FormatSpec("xml", options={"root": "order"})
            xml = convert(FormatSpec("json"), spec, payloads.order_json(1))
        rows.append(_row(f"xml→json {_size(len(xml))}: convsvc vs xmltodict + json", len(xml),
                         lambda spec=spec, xml=xml: convert(spec, FormatSpec("json"), xml),
                         lambda xml=xml: json.dumps(xmltodict.parse(xml), ensure_ascii=False).encode(), min_seconds))
    return rows


def repair_rows(document_mb: float, min_seconds: float) -> tuple[list[dict], dict]:
    """json-repair on its own cases: the corpus/repair inputs it repairs to the expected value
    (where it is right, so both are timed doing the same job), one by one; and a generated broken
    document of `document_mb` MB."""
    import json_repair

    cases = []
    for path in sorted(repair_bench.CORPUS.glob("*.in")):
        expected = repair_bench.canonical(json.loads((path.parent / f"{path.name[:-3]}.expected.json").read_text()))
        data = path.read_bytes()
        if repair_bench.outcome(repair_bench.theirs, data, expected):
            cases.append(data)
    ours = lambda: [repair_bench.ours(data) for data in cases]  # noqa: E731
    theirs = lambda: [json_repair.loads(data.decode("utf-8", "replace")) for data in cases]  # noqa: E731
    rows = [_row(f"repair, the {len(cases)} corpus cases json-repair gets right: convsvc vs json-repair",
                 sum(map(len, cases)), ours, theirs, min_seconds)]
    document = repair_bench.broken_document(int(document_mb * MiB))
    rows.append(_row(f"repair {_size(len(document))} generated broken document: convsvc vs json-repair",
                     len(document), lambda: repair_bench.ours(document), lambda: repair_bench.theirs(document),
                     min_seconds))
    from importlib.metadata import version

    return rows, {"json_repair_version": version("json-repair"), "cases": len(cases)}


def _size(size: int) -> str:
    return f"{size / MiB:.1f} MB" if size >= MiB // 2 else f"{size / 1024:.1f} KB"


def run(full: bool, log) -> dict:
    min_seconds = 2.0 if full else 0.2
    rows = yaml_rows([1024, 1 * MiB] if full else [1024, 64 * 1024], min_seconds)
    yaml_goal_rows = list(rows)
    proto = protojson_rows([22, 20000] if full else [22], min_seconds)
    xml = xml_rows([1024, 1 * MiB] if full else [1024], min_seconds)
    repair, repair_info = repair_rows(1.0 if full else 0.1, min_seconds)
    rows += proto + xml + repair
    for row in rows:
        log(f"  {row['comparison']}: {row['speedup']:.2f}x")
    goals = [Goal(f"YAML path ≥ 5× PyYAML-C: {row['comparison'].split(':')[0]}", row["speedup"], 5.0)
             for row in yaml_goal_rows]
    goals += [Goal(f"ProtoJSON ≥ 3× json_format: {row['comparison'].split(':')[0]}", row["speedup"], 3.0)
              for row in proto]
    goals += [Goal(f"repair faster than json-repair: {row['comparison'].split(':')[0]}", row["speedup"], 1.0)
              for row in repair]
    return {"rows": rows, "repair": repair_info, "goals": goals}
