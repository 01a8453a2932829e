"""The whole corpus through a live server started here, held to the committed baseline (what CI runs), and
the same verdicts as the engine in process."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from convsvc.corpus.suites import builtin_suites
from tests.conftest import ROOT, ServerProcess


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("corpus-server"))
    yield process
    process.stop()


@pytest.fixture(scope="module")
def reports(live_server, tmp_path_factory):
    """`convsvc corpus run` against the server with the committed baseline, and in process: (exit code,
    output, report) of each, timed."""
    folder = tmp_path_factory.mktemp("corpus-reports")
    out = {}
    for name, extra in (("server", ["--target", live_server.address]), ("in-process", [])):
        report = folder / f"{name}.json"
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "convsvc.cli.main", "corpus", "run", *extra, "--baseline",
                               "corpus/baseline.json", "--report", str(report), "--html", str(folder / f"{name}.html")],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - start
        data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        out[name] = (done, data, seconds)
        print(f"\ncorpus run {name}: {len(data['cases']) if data else '?'} cases in {seconds:.1f}s "
              f"(the run itself: {data['seconds'] if data else '?'}s)")
    return out


def test_the_whole_corpus_against_a_live_server_meets_the_committed_baseline(reports, live_server):
    done, report, _ = reports["server"]
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["target"] == live_server.address
    assert report["regressions"] == []
    baseline = json.loads((ROOT / "corpus" / "baseline.json").read_text(encoding="utf-8"))["suites"]
    assert [suite["name"] for suite in report["suites"]] == [suite.name for suite in builtin_suites()]
    for suite in report["suites"]:
        assert suite["status"] == "ok", suite
        assert suite["rate"] >= baseline[suite["name"]]["rate"], suite
    assert len(report["cases"]) == report["totals"]["cases"] == sum(suite["cases"] for suite in report["suites"])
    assert f"against {live_server.address} (jobs 4)" in done.stdout


def test_a_live_server_and_the_engine_in_process_give_the_same_verdicts(reports):
    (_, remote, _), (local_done, local, _) = reports["server"], reports["in-process"]
    assert local is not None and remote is not None, local_done.stderr
    assert [case["id"] for case in remote["cases"]] == [case["id"] for case in local["cases"]]
    differ = [(a["id"], a["verdict"], b["verdict"]) for a, b in zip(remote["cases"], local["cases"])
              if (a["verdict"], a["got"], a["issues"]) != (b["verdict"], b["got"], b["issues"])]
    assert differ == []


def test_a_user_case_naming_a_registry_schema_runs_against_the_server_and_is_skipped_in_process(
        live_server, user_cases, add_user_case, corpus_command, tmp_path):
    registered = subprocess.run([sys.executable, "-m", "convsvc.cli.main", "schema", "register", "--subject",
                                 "corpus-point", str(user_cases / "point.avsc"), "--target", live_server.address],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert registered.returncode == 0, registered.stderr
    add_user_case(user_cases, "point-by-subject", 'from = "json"\nto = "avro"\nto_schema = "subject:corpus-point"\n',
                  input_json='{"x": 1, "y": -1}')
    (user_cases / "point-by-subject" / "expected.avro").write_bytes(b"\x02\x01")
    remote, local = tmp_path / "remote.json", tmp_path / "local.json"
    done = corpus_command("run", "--suite", str(user_cases), "--target", live_server.address, "--report", str(remote))
    assert done.returncode == 0, done.stdout
    done = corpus_command("run", "--suite", str(user_cases), "--report", str(local))
    assert done.returncode == 0, done.stdout  # a skipped case is no failure
    [remote_case] = [c for c in json.loads(remote.read_text())["cases"] if c["id"] == "my-cases/point-by-subject"]
    [local_case] = [c for c in json.loads(local.read_text())["cases"] if c["id"] == "my-cases/point-by-subject"]
    assert remote_case["verdict"] == "passed"
    assert (local_case["verdict"], local_case["detail"]) == (
        "skipped", "names schemas in a registry (schema by subject); the in-process engine has none: run against a "
                   "server with --target")
