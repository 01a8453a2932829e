"""The README's five-minute tour, executed against a live server, output compared exactly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

TOOLS = ROOT / ".tools" / "bin"


def tour_steps() -> list[tuple[str, str]]:
    """(command, expected output) for each `$ ` line of the console blocks between the tour markers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("<!-- tour:start -->", 1)[1].split("<!-- tour:end -->", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", tour, flags=re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
    return [(command, "\n".join(lines)) for command, lines in steps]


STEPS = tour_steps()


def test_the_tour_has_steps():
    assert len(STEPS) >= 8


@pytest.mark.parametrize("command, expected", STEPS, ids=[command[:60] for command, _ in STEPS])
def test_tour_step_prints_what_the_readme_shows(command, expected, server):
    for tool in ("grpcurl", "grpc-health-probe"):
        if tool in command and not (TOOLS / tool).exists() and not shutil.which(tool):
            pytest.fail(f"{tool} is not installed: run `make tools`")
    venv_bin = ROOT / ".venv" / "bin"
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{TOOLS}{os.pathsep}{os.environ['PATH']}"}
    script = "{ " + command.replace("localhost:50051", server.address) + "\n} 2>&1"  # as a terminal shows both
    done = subprocess.run(["bash", "-c", script],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert done.stdout.rstrip("\n") == expected
