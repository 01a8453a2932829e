"""The Dockerfile without a Docker engine: hadolint's best-practice rules (and proof that they bite), the
runtime stage's promises (non-root, health check, volume, entrypoint), and a build context that
really builds the package."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile

from convsvc.server.config import Config
from tests.conftest import ROOT
from tests.deploy.conftest import TOOLS, run

BAD_DOCKERFILE = """\
FROM python:latest
MAINTAINER someone@example.com
RUN cd /app && pip install requests
RUN apt-get update && apt-get install curl
ADD app.py /app/
USER root
CMD python app.py
"""


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        out.append((keyword.upper(), " ".join(rest.split())))
        pending = ""
    return out


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_dockerfile_passes_hadolint(deploy_tools):
    result = run("deploy/validate.sh", "dockerfile")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_hadolint_fails_a_bad_dockerfile_naming_each_rule(deploy_tools, tmp_path):
    (tmp_path / "Dockerfile").write_text(BAD_DOCKERFILE)
    result = run("deploy/validate.sh", "dockerfile", tmp_path / "Dockerfile")
    assert result.returncode == 1
    findings = re.findall(r"^\S*Dockerfile:(\d+) (DL\d+) (\w+):", result.stdout, re.MULTILINE)
    assert [(int(line), code, level) for line, code, level in findings] == [
        (1, "DL3049", "info"),  # the OCI labels deploy/hadolint.yaml requires
        (1, "DL3007", "warning"),  # FROM ...:latest
        (1, "DL3049", "info"),
        (1, "DL3049", "info"),
        (2, "DL4000", "error"),  # MAINTAINER
        (3, "DL3042", "warning"),  # pip without --no-cache-dir
        (3, "DL3003", "warning"),  # cd instead of WORKDIR
        (3, "DL3013", "warning"),  # unpinned pip package
        (4, "DL3008", "warning"),  # unpinned apt package
        (4, "DL3014", "warning"),  # apt-get without -y
        (4, "DL3015", "info"),  # without --no-install-recommends
        (4, "DL3009", "info"),  # apt lists left behind
        (5, "DL3020", "error"),  # ADD for a local file
        (6, "DL3002", "warning"),  # last USER is root
        (6, "DL3066", "info"),  # a user name, not a numeric id
        (7, "DL3025", "warning"),  # CMD in shell form: signals would go to a shell
    ]


def test_hadolint_refuses_a_base_image_from_an_untrusted_registry(deploy_tools, tmp_path):
    good = (ROOT / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text(good.replace("FROM golang:1.26-bookworm", "FROM quay.io/acme/golang:1.26"))
    result = run("deploy/validate.sh", "dockerfile", tmp_path / "Dockerfile")
    assert result.returncode == 1
    assert re.findall(r"(DL\d+) \w+: (.*)", result.stdout) == [
        ("DL3026", "Use only an allowed registry in the FROM image")]


def test_runtime_stage_runs_the_entrypoint_unprivileged_with_health_check_and_volume():
    *builders, runtime = stages((ROOT / "Dockerfile").read_text())
    assert len(builders) == 2  # the health probe and the venv are built apart from the runtime image
    last = dict(runtime)  # one of each instruction, or the last one wins
    assert runtime[0] == ("FROM", "python:3.11-slim-bookworm")
    assert last["USER"] == "10001:10001"
    assert json.loads(last["VOLUME"]) == ["/var/lib/convsvc"]
    env = dict(re.findall(r"(\w+)=(\S+)", last["ENV"]))
    assert env["CONVSVC_SERVER_DATA_DIR"] == "/var/lib/convsvc"  # the volume is the data directory
    assert json.loads(last["ENTRYPOINT"]) == ["docker-entrypoint.sh"]
    assert json.loads(last["CMD"]) == ["serve"]
    assert last["HEALTHCHECK"].endswith('CMD ["docker-entrypoint.sh", "health"]')
    defaults = Config()
    assert last["EXPOSE"].split() == [str(defaults.port), str(defaults.metrics.port), str(defaults.registry.rest_port)]
    copies = [args for keyword, args in runtime if keyword == "COPY"]
    assert copies == ["--from=build /opt/convsvc /opt/convsvc",
                      "--from=probe /out/grpc-health-probe /usr/local/bin/grpc-health-probe",
                      "--chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh"]


def test_image_pins_the_health_probe_the_makefile_pins():
    probe_stage = stages((ROOT / "Dockerfile").read_text())[0]
    pinned = re.search(r"^HEALTH_PROBE_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    assert ("ARG", f"HEALTH_PROBE_VERSION={pinned}") in probe_stage


def build_context(target) -> list[str]:
    """Copy what `docker build .` sends (docker-py applies .dockerignore as the Docker CLI does)."""
    script = ("import json, pathlib, sys; from docker.utils.build import exclude_paths; "
              "root = sys.argv[1]; "
              "print(json.dumps(sorted(exclude_paths(root, pathlib.Path(root, '.dockerignore').read_text().splitlines()))))")
    result = run(TOOLS / "deploy-venv" / "bin" / "python", "-c", script, ROOT)
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout)
    for path in paths:
        source = ROOT / path
        if source.is_file():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / path)
    return paths


def test_build_context_holds_what_the_build_stage_copies_and_nothing_else(deploy_tools, tmp_path):
    context = tmp_path / "context"
    paths = build_context(context)
    top = sorted({path.split("/")[0] for path in paths})
    assert top == [".dockerignore", "Dockerfile", "README.md", "constraints.txt", "convsvc", "deploy", "pyproject.toml"]
    assert not [path for path in paths if "__pycache__" in path or path.endswith(".pyc")]
    for keyword, args in instructions((ROOT / "Dockerfile").read_text()):
        if keyword == "COPY" and "--from=" not in args:
            *sources, _ = [arg for arg in args.split() if not arg.startswith("--")]
            for source in sources:
                assert (context / source).exists(), f"COPY {source}: not in the build context"


def test_build_context_builds_the_package_with_its_command_and_stubs(deploy_tools, tmp_path):
    context = tmp_path / "context"
    build_context(context)
    result = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                 "-w", tmp_path / "wheels", context, timeout=300)
    assert result.returncode == 0, result.stderr
    [wheel] = (tmp_path / "wheels").glob("convsvc-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert {"convsvc/cli/main.py", "convsvc/v1/conversion_pb2.py", "convsvc/v1/registry_pb2_grpc.py",
            "convsvc/server/app.py"} <= names
    assert "convsvc = convsvc.cli.main:main" in entry_points
    assert not [name for name in names if name.startswith(("tests/", "deploy/"))]


def test_deploy_scripts_pass_shellcheck(deploy_tools):
    result = run("deploy/validate.sh", "scripts")
    assert (result.returncode, result.stdout) == (0, "")


def test_shellcheck_fails_a_script_with_an_unquoted_expansion(deploy_tools, tmp_path):
    script = tmp_path / "bad.sh"
    script.write_text('#!/bin/sh\ndir=$1\nrm -rf $dir/cache\n')
    result = run("deploy/validate.sh", "scripts", script)
    assert result.returncode == 1
    assert re.findall(r"line (\d+):", result.stdout) == ["3"]
    assert re.findall(r"(SC\d+) \((\w+)\)", result.stdout) == [("SC2086", "info")]
