"""Each language's client (clients/<language>/) against a live server: the shared vectors byte for byte,
a BadRequest read the language's way, an idempotent replay, a deadline and a stream.

Every client's `check.sh` prints one `PASS <check>` line per check it made; a check that did not run
is a failure here, so a script that exits 0 without doing the work cannot pass."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import ROOT

LANGUAGES = ("python", "go", "node", "java", "rust", "cpp")
VECTORS = ROOT / "corpus" / "vectors"
VECTOR_COUNT = len(json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8")))
CHECKS = (f"PASS vectors {VECTOR_COUNT}/{VECTOR_COUNT}", "PASS bad-request", "PASS idempotent-replay",
          "PASS deadline-exceeded", "PASS stream", "PASS snippet")


@pytest.mark.timeout(1800)  # a cold build (Rust, Java, C++) runs inside check.sh when `make clients` has not
@pytest.mark.parametrize("language", LANGUAGES)
def test_client_against_the_live_server(language, server):
    script = ROOT / "clients" / language / "check.sh"
    done = subprocess.run(["bash", str(script)], cwd=script.parent, capture_output=True, timeout=1700,
                          env={**os.environ, "CONVSVC_ADDRESS": server.address, "CONVSVC_VECTORS": str(VECTORS)})
    output = done.stdout.decode(errors="replace")
    assert done.returncode == 0, f"{language} client failed:\n{output}\n{done.stderr.decode(errors='replace')[-6000:]}"
    passed = [line.strip() for line in output.splitlines() if line.startswith("PASS ")]
    for check in CHECKS:
        assert any(line == check or line.startswith(check + " ") for line in passed), \
            f"{language}: no '{check}' line in:\n{output}"
