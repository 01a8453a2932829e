"""Corpus fixtures: the `convsvc corpus` command in a child process, and a user folder of cases."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "corpus" / "examples" / "user-cases"  # the folder docs/corpus.md describes


@pytest.fixture
def corpus_command():
    """Run `convsvc corpus ARGS...` from the project root: (exit code, stdout, stderr)."""

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
        return subprocess.run([sys.executable, "-m", "convsvc.cli.main", "corpus", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture
def user_cases(tmp_path):
    """The example folder copied to my-cases/ (five passing cases)."""
    folder = tmp_path / "my-cases"
    shutil.copytree(EXAMPLE, folder)
    return folder


def add_case(folder, name: str, case_toml: str, **files: str):
    """A case folder: case.toml and the given files (input_json="..." writes input.json)."""
    case = folder / name
    case.mkdir()
    (case / "case.toml").write_text(case_toml, encoding="utf-8")
    for file_name, text in files.items():
        (case / file_name.replace("_", ".", 1)).write_text(text, encoding="utf-8")
    return case


@pytest.fixture
def add_user_case():
    return add_case
