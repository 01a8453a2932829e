"""Compare the YAML libraries convsvc could build on: yaml-test-suite conformance and load speed.

A standalone script, run by hand (not a test); it prints the table quoted in docs/yaml-library.md:

    .venv/bin/python bench/yaml_libraries.py                 # everything
    .venv/bin/python bench/yaml_libraries.py --no-speed      # conformance only
    .venv/bin/python bench/yaml_libraries.py --only pyyaml-c,codec --size-mb 8

Every library runs in a worker subprocess: some crash the interpreter on odd inputs, and a crash
(or a hang) then costs that one case, recorded as such, not the whole run. All libraries are held to
the same rules: YAML 1.2 core-schema scalars (applied by `yaml_codec.resolve_plain` where the
library does not resolve them itself), tags outside the core schema ignored (the value kept as its
node kind: the test suite's in.json carries untagged values), mapping keys compared as text.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import math
import os
import queue
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.test_yaml_test_suite import json_stream, suite_cases, suite_root  # noqa: E402  (one loader)

CORE = "tag:yaml.org,2002:"
CASE_TIMEOUT_S = 10.0


# -- the libraries under test: name -> factory of load_all(data: bytes) -> list of documents --------

def _key_text(key):
    """Mapping keys as text (the in.json convention): the same rule as yaml_codec in ROBUST mode."""
    from convsvc.formats.yaml_codec import key_text

    return key_text(key)


def _textify_keys(value):
    """Recursively turn non-str keys into text, iteratively (values may be deep)."""
    if not isinstance(value, (list, dict)):
        return value
    root = [value]
    stack = [(root, 0)]
    while stack:
        holder, where = stack.pop()
        item = holder[where]
        if isinstance(item, list):
            copy = list(item)
            holder[where] = copy
            stack.extend((copy, i) for i in range(len(copy)) if isinstance(copy[i], (list, dict)))
        elif isinstance(item, dict):
            copy = {k if isinstance(k, str) else _key_text(k): v for k, v in item.items()}
            holder[where] = copy
            stack.extend((copy, k) for k, v in copy.items() if isinstance(v, (list, dict)))
    return root[0]


def lib_pyyaml_c():
    """(a) PyYAML's libyaml C loader with PyYAML's 1.1 implicit resolvers replaced by 1.2 core ones."""
    import re

    import yaml

    class Core12Loader(yaml.CSafeLoader):
        pass

    Core12Loader.yaml_implicit_resolvers = {}
    resolvers = [
        ("null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", list("-+.0123456789")),
    ]
    for name, pattern, first in resolvers:
        Core12Loader.add_implicit_resolver(CORE + name, re.compile(pattern), first)

    def construct_int(loader, node):
        text = loader.construct_scalar(node)
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)

    def construct_float(loader, node):
        text = loader.construct_scalar(node).lower()
        if text.endswith(".inf"):
            return -math.inf if text[0] == "-" else math.inf
        if text == ".nan":
            return math.nan
        return float(text)

    def construct_bool(loader, node):
        return loader.construct_scalar(node).lower() == "true"

    def construct_by_kind(loader, suffix, node):  # tags outside the core schema: keep the node kind
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_scalar(node)

    Core12Loader.add_constructor(CORE + "int", construct_int)
    Core12Loader.add_constructor(CORE + "float", construct_float)
    Core12Loader.add_constructor(CORE + "bool", construct_bool)
    Core12Loader.add_multi_constructor("", construct_by_kind)
    for tag in ("timestamp", "set", "omap", "pairs"):
        Core12Loader.add_constructor(CORE + tag, lambda loader, node: construct_by_kind(loader, "", node))

    def construct_mapping(loader, node, deep=False):  # allow unhashable (collection) keys, as text
        loader.flatten_mapping(node)
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            out[key if isinstance(key, (str, int, float, bool, type(None))) else _key_text(key)] = \
                loader.construct_object(value_node, deep=deep)
        return out

    Core12Loader.construct_mapping = construct_mapping

    def load_all(data):
        return [_textify_keys(doc) for doc in yaml.load_all(data, Loader=Core12Loader)]

    return load_all


def _ruamel(pure):
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import SafeConstructor

    class Constructor(SafeConstructor):
        pass

    def construct_by_kind(constructor, node):
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        if isinstance(node, MappingNode):
            return constructor.construct_mapping(node, deep=True)
        if isinstance(node, SequenceNode):
            return constructor.construct_sequence(node, deep=True)
        return constructor.construct_scalar(node)

    Constructor.add_constructor(None, construct_by_kind)
    for tag in ("timestamp", "set", "omap", "pairs"):
        Constructor.add_constructor(CORE + tag, construct_by_kind)

    def construct_mapping(constructor, node, deep=False):  # collection keys as text, last duplicate wins
        out = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool, type(None))):
                key = _key_text(key)
            out[key] = constructor.construct_object(value_node, deep=deep)
        return out

    Constructor.construct_mapping = construct_mapping

    def load_all(data):
        loader = YAML(typ="safe", pure=pure)
        loader.Constructor = Constructor
        loader.allow_duplicate_keys = True
        return [_textify_keys(doc) for doc in loader.load_all(data)]

    return load_all


def lib_ruamel_c():
    """(b) ruamel.yaml typ='safe' with ruamel.yaml.clib (its C parser is a libyaml fork)."""
    return _ruamel(pure=False)


def lib_ruamel_pure():
    """(b) ruamel.yaml typ='safe', pure Python."""
    return _ruamel(pure=True)


def lib_rapidyaml():
    """(c) rapidyaml: parse in C++, then walk the tree through its SWIG API to build values."""
    import ryml

    from convsvc.formats.yaml_codec import resolve_plain

    NONE = ryml.NONE

    def scalar(text, quoted, tag):
        text = "" if text is None else bytes(text).decode("utf-8")
        if tag is not None:
            tag = bytes(tag).decode("utf-8")
            if tag in ("!!str", "!", "!<tag:yaml.org,2002:str>"):
                return text
            if tag in ("!!binary", "!<tag:yaml.org,2002:binary>"):
                return base64.b64decode(text)
            if tag.startswith("!!") or tag.startswith("!<" + CORE):
                return resolve_plain(text)
            return text
        return text if quoted else resolve_plain(text)

    def build(tree, root):
        # iterative: (node, container) pairs, containers filled in document order
        result = []
        stack = [(root, result, None)]
        while stack:
            node, holder, key = stack.pop()
            if tree.is_map(node):
                value = {}
            elif tree.is_seq(node):
                value = []
            else:
                value = scalar(tree.val(node), tree.is_val_quoted(node),
                               tree.val_tag(node) if tree.has_val_tag(node) else None)
            if isinstance(holder, list):
                holder.append(value)
            else:
                holder[key] = value
            if isinstance(value, (list, dict)):
                children = []
                child = tree.first_child(node)
                while child != NONE:
                    children.append(child)
                    child = tree.next_sibling(child)
                for child in reversed(children):
                    child_key = None
                    if isinstance(value, dict):
                        child_key = scalar(tree.key(child), tree.is_key_quoted(child),
                                           tree.key_tag(child) if tree.has_key_tag(child) else None)
                        if not isinstance(child_key, str):
                            child_key = _key_text(child_key)
                    stack.append((child, value, child_key))
        return result[0]

    def load_all(data):
        tree = ryml.parse_in_arena(data)
        tree.resolve()  # anchors and aliases (crashes on recursive aliases: the worker survives it)
        root = tree.root_id()
        if tree.is_stream(root):
            docs = []
            child = tree.first_child(root)
            while child != NONE:
                docs.append(child)
                child = tree.next_sibling(child)
        elif tree.type(root) == 0:  # NOTYPE: an empty stream
            docs = []
        else:
            docs = [root]
        return [build(tree, doc) for doc in docs]

    return load_all


def lib_libfyaml():
    """(d) libfyaml 1.0.0b2 bindings: loads_all(mode='yaml') (core schema in C) then to_python()."""
    import libfyaml

    def load_all(data):
        return [_textify_keys(doc.to_python()) for doc in libfyaml.loads_all(data, mode="yaml")]

    return load_all


def lib_codec():
    """convsvc.formats.yaml_codec.decode (what the service runs), ROBUST mode: keys as text."""
    from convsvc.formats import yaml_codec
    from convsvc.model import Context, Mode

    def load_all(data):
        return yaml_codec.decode(data, Context(mode=Mode.ROBUST))

    return load_all


def lib_codec_fragile():
    """convsvc.formats.yaml_codec.decode in FRAGILE mode (refuses non-core tags, non-string keys...)."""
    from convsvc.formats import yaml_codec
    from convsvc.model import Context, Mode, Severity
    from convsvc.model.errors import InvalidInput

    def load_all(data):
        ctx = Context(mode=Mode.FRAGILE)
        docs = yaml_codec.decode(data, ctx)
        warnings = ctx.report.at_least(Severity.WARNING)
        if warnings:  # the engine refuses these in FRAGILE mode
            raise InvalidInput(warnings)
        return docs

    return load_all


def lib_codec_ryml_route():
    """The codec's rapidyaml route alone (decode() sends large or dense payloads to libyaml)."""
    from convsvc.formats import yaml_codec
    from convsvc.model import Context, Mode

    def load_all(data):
        try:
            return yaml_codec._TreeFold(data, Context(mode=Mode.ROBUST)).run()
        except yaml_codec._Refused as refused:
            raise refused.error from None

    return load_all


def lib_codec_libyaml_route():
    """The codec on a payload holding a tab (a `#<TAB>` comment line first): its libyaml route."""
    load_all = lib_codec()
    return lambda data: load_all(b"#\t\n" + data)


LIBRARIES = {
    "pyyaml-c": ("PyYAML 6 CSafeLoader (libyaml) + 1.2 resolver", lib_pyyaml_c),
    "ruamel-c": ("ruamel.yaml safe + clib (libyaml fork)", lib_ruamel_c),
    "ruamel-pure": ("ruamel.yaml safe, pure Python", lib_ruamel_pure),
    "rapidyaml": ("rapidyaml (ryml) + Python tree walk", lib_rapidyaml),
    "libfyaml": ("libfyaml 1.0.0b2 bindings", lib_libfyaml),
    "codec": ("convsvc yaml_codec.decode, ROBUST (routes itself)", lib_codec),
    "codec-fragile": ("convsvc yaml_codec, FRAGILE", lib_codec_fragile),
    "codec-ryml": ("convsvc yaml_codec, rapidyaml route forced", lib_codec_ryml_route),
    "codec-libyaml": ("convsvc yaml_codec, libyaml route (payload with a tab)", lib_codec_libyaml_route),
}


# -- the yaml-test-suite ---------------------------------------------------------------------------

def case_id(root: Path, case: Path) -> str:
    return case.relative_to(root).as_posix()


def same(got, expected) -> bool:
    """Type-strict equality with in.json: bools are not numbers, !!binary bytes match base64 text.
    Looser than the test's on keys: other libraries give non-string keys, compared by their text."""
    if isinstance(expected, bool) or expected is None:
        return got is expected
    if isinstance(expected, (int, float)):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return False
        return got == expected or (got != got and expected != expected)
    if isinstance(expected, str):
        if isinstance(got, bytes):
            try:
                return base64.b64decode(expected) == got
            except ValueError:
                return False
        return isinstance(got, str) and got == expected
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and list(map(str, got)) == list(expected)
                and all(same(got[k], expected[str(k)]) for k in got)) or (
            isinstance(got, dict) and set(map(str, got)) == set(expected)
            and all(same(v, expected[str(k)]) for k, v in got.items()))
    return False


def run_case(load_all, case: Path) -> tuple[str, str]:
    """(outcome, detail): outcome is pass | fail (wrong value or refused) for valid cases, and
    pass (refused) | fail (accepted) for error cases; `unjudged` for valid cases with no in.json."""
    data = (case / "in.yaml").read_bytes()
    must_fail = (case / "error").exists()
    try:
        docs = load_all(data)
    except RecursionError:
        return ("pass" if must_fail else "fail"), "RecursionError"
    except Exception as exc:  # noqa: BLE001 - any refusal counts as a refusal
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160]
        if must_fail:
            return "pass", detail
        return ("fail" if (case / "in.json").exists() else "refused"), detail
    if must_fail:
        return "fail", "accepted"
    if not (case / "in.json").exists():
        return "unjudged", "accepted"
    expected = json_stream((case / "in.json").read_text(encoding="utf-8"))
    if len(docs) == len(expected) and all(map(same, docs, expected)):
        return "pass", ""
    return "fail", f"got {json.dumps(docs, default=repr, ensure_ascii=False)[:120]}"


def worker(library: str, start: int) -> None:
    """Print one JSON line per case, from case number `start` on."""
    load_all = LIBRARIES[library][1]()
    root = suite_root()
    for index, case in enumerate(suite_cases(root)):
        if index < start:
            continue
        outcome, detail = run_case(load_all, case)
        print(json.dumps({"i": index, "id": case_id(root, case), "outcome": outcome, "detail": detail}),
              flush=True)


def run_suite(library: str) -> list[dict]:
    """Run the suite for one library in worker processes, restarting after a crash or a hang."""
    root = suite_root()
    cases = suite_cases(root)
    results: list[dict] = []
    start = 0
    while start < len(cases):
        proc = subprocess.Popen([sys.executable, __file__, "--worker", library, "--start", str(start)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=CASE_TIMEOUT_S)
            except queue.Empty:
                proc.kill()
                line, why = None, "hang"
            else:
                why = "crash"
            if line is None:
                proc.wait()
                if start < len(cases):
                    # the case in progress killed the worker (or never finished)
                    must_fail = (cases[start] / "error").exists()
                    results.append({"i": start, "id": case_id(root, cases[start]),
                                    "outcome": "pass" if (must_fail and why == "crash") else "fail",
                                    "detail": f"{why} (exit {proc.returncode})"})
                    start += 1
                break
            record = json.loads(line)
            results.append(record)
            start = record["i"] + 1
    return results


def summarise(results: list[dict]) -> dict:
    root = suite_root()
    by_id = {r["id"]: r for r in results}
    errors = [r for r in results if (root / r["id"] / "error").exists()]  # 3 also hold a partial in.json
    valid = [r for r in results if (root / r["id"] / "in.json").exists() and r not in errors]
    no_json = [r for r in results if r not in valid and r not in errors]
    return {
        "valid_pass": sum(r["outcome"] == "pass" for r in valid), "valid": len(valid),
        "error_pass": sum(r["outcome"] == "pass" for r in errors), "errors": len(errors),
        "nojson_accepted": sum(r["outcome"] == "unjudged" for r in no_json), "nojson": len(no_json),
        "crashes": sum("crash" in r["detail"] or "hang" in r["detail"] for r in results),
        "failures": sorted(r["id"] for r in results if r["outcome"] in ("fail", "refused")),
        "by_id": by_id,
    }


# -- speed -------------------------------------------------------------------------------------------

def sample_value(records: int, seed: int = 7):
    """Mappings, sequences, strings (unicode and 1.1/1.2 look-alikes), ints (some past 64 bits), floats."""
    rng = random.Random(seed)
    words = ("alpha beta gamma delta épsilon zeta 東京 naïve yes no on 0o17 1:20 null true "
             "2001-12-14 hello world").split()
    out = []
    for i in range(records):
        out.append({
            "id": i,
            "name": " ".join(rng.choices(words, k=3)),
            "score": rng.random() * 1000,
            "big": rng.randint(-2**70, 2**70) if i % 50 == 0 else rng.randint(-2**40, 2**40),
            "active": rng.random() < 0.5,
            "missing": None,
            "tags": rng.choices(words, k=4),
            "nested": {"x": rng.randint(0, 100), "y": [rng.random() for _ in range(3)],
                       "note": "line one\nline two"},
        })
    return out


def sample_documents(size_mb: float) -> dict[str, bytes]:
    """A block-style YAML document and the same value as (flow-style) JSON text."""
    import yaml

    value = sample_value(max(1, int(size_mb * 3300)))
    block = yaml.dump(value, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False).encode("utf-8")
    flow = json.dumps(value, ensure_ascii=False).encode("utf-8")
    return {"block": block, "json-as-yaml": flow}


def peak_rss_kib() -> int:
    """This process's peak resident memory. /proc's VmHWM belongs to the current address space;
    ru_maxrss would carry the parent's peak across fork+exec (the bench parent is big)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def speed_worker(library: str, path: str, repeat: int) -> None:
    """Time one library on one document in a fresh process; print seconds and peak RSS growth."""
    data = Path(path).read_bytes()
    load_all = LIBRARIES[library][1]()
    load_all(b"warm: up\n")
    before = peak_rss_kib()
    best = math.inf
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        docs = load_all(data)
        best = min(best, time.perf_counter() - started)
        del docs
    peak = peak_rss_kib()
    print(json.dumps({"seconds": best, "bytes": len(data), "rss_growth_kib": peak - before}))


def run_speed(library: str, path: Path, repeat: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--speed-worker", library, "--kind", str(path),
                           "--repeat", str(repeat)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1][:80]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- main --------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated library names: " + ",".join(LIBRARIES))
    parser.add_argument("--no-suite", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--size-mb", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show-failures", action="store_true", help="list failing case ids per library")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--speed-worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="block", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.start)
    if args.speed_worker:
        return speed_worker(args.speed_worker, args.kind, args.repeat)

    names = args.only.split(",") if args.only else list(LIBRARIES)
    if not args.no_suite:
        suite_names = [name for name in names if name not in ("codec-libyaml", "codec-ryml")]
        root = suite_root()
        print(f"yaml-test-suite: {root} ({len(suite_cases(root))} cases)\n")
        print(f"| library | valid = in.json | errors refused | valid, no in.json: accepted | crashes/hangs |")
        print("|---|---:|---:|---:|---:|")
        summaries = {}
        for name in suite_names:
            s = summaries[name] = summarise(run_suite(name))
            print(f"| {LIBRARIES[name][0]} | {s['valid_pass']}/{s['valid']} ({100 * s['valid_pass'] / s['valid']:.1f}%)"
                  f" | {s['error_pass']}/{s['errors']} ({100 * s['error_pass'] / s['errors']:.1f}%)"
                  f" | {s['nojson_accepted']}/{s['nojson']} | {s['crashes']} |", flush=True)
        if args.show_failures:
            for name in suite_names:
                s = summaries[name]
                print(f"\n{name}: {len(s['failures'])} failing")
                for case in s["failures"]:
                    r = s["by_id"][case]
                    print(f"  {case:10} {r['outcome']:8} {r['detail']}")
    if not args.no_speed:
        docs = sample_documents(args.size_mb)
        workdir = Path(tempfile.mkdtemp(prefix="yaml-bench-"))
        paths = {}
        for kind, data in docs.items():
            paths[kind] = workdir / f"{kind}.yaml"
            paths[kind].write_bytes(data)
        print(f"\nload speed, best of {args.repeat}, fresh process each "
              f"(block: {len(docs['block']) / 1e6:.1f} MB, json-as-yaml: {len(docs['json-as-yaml']) / 1e6:.1f} MB)\n")
        print("| library | block YAML | JSON text as YAML | peak RSS growth (block) |")
        print("|---|---:|---:|---:|")
        for name in names:
            if name in ("codec-fragile",):
                continue
            cells, rss = [], ""
            for kind in ("block", "json-as-yaml"):
                r = run_speed(name, paths[kind], args.repeat)
                if "error" in r:
                    cells.append(f"error: {r['error']}")
                    continue
                cells.append(f"{r['seconds']:.2f} s ({r['bytes'] / 1e6 / r['seconds']:.1f} MB/s)")
                if kind == "block":
                    rss = f"{r['rss_growth_kib'] / 1024:.0f} MiB"
            print(f"| {LIBRARIES[name][0]} | {cells[0]} | {cells[1]} | {rss} |", flush=True)


if __name__ == "__main__":
    main()
