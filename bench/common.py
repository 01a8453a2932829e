"""What every benchmark shares: paths, tools, process measurements (CPU, RSS from /proc), timing, goals."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TOOLS_BIN = ROOT / ".tools" / "bin"
PYTHON = sys.executable
MiB = 1024 * 1024


def tool(name: str) -> str | None:
    """A command from .tools/bin (where bench/tools.sh installs ghz and yq), the venv's bin (py-spy), or PATH."""
    for folder in (TOOLS_BIN, pathlib.Path(sys.executable).parent):
        local = folder / name
        if local.is_file() and os.access(local, os.X_OK):
            return str(local)
    return shutil.which(name)


# -- processes -------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    return int(pathlib.Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE


class Sampler:
    """Samples the RSS of some processes every `every` seconds in a thread, with the CPU they used
    between start() and stop()."""

    def __init__(self, pids: list[int], every: float = 0.1) -> None:
        self.pids = list(pids)
        self.every = every
        self.samples: dict[int, list[tuple[float, int]]] = {pid: [] for pid in self.pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self.cpu_before = {pid: cpu_seconds(pid) for pid in self.pids}
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self.started
        self.cpu = {pid: cpu_seconds(pid) - self.cpu_before[pid] for pid in self.pids}

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for pid in self.pids:
                try:
                    self.samples[pid].append((now, rss_bytes(pid)))
                except OSError:
                    pass
            self._stop.wait(self.every)

    def peak_rss(self, pid: int) -> int:
        return max((rss for _, rss in self.samples[pid]), default=0)


# -- timing ----------------------------------------------------------------------------------------

def best_time(function: Callable[[], Any], *, min_seconds: float = 0.5, repeats: int = 5) -> float:
    """The best of `repeats` rounds of seconds per call, each round calling enough times to last
    about min_seconds / repeats (so small calls are timed in loops, big ones once per round)."""
    started = time.perf_counter()
    function()  # warm: caches, lazy imports
    once = max(time.perf_counter() - started, 1e-7)
    per_round = max(1, int(min_seconds / repeats / once))
    rounds = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_round):
            function()
        rounds.append((time.perf_counter() - started) / per_round)
    return min(rounds)


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- results ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class Goal:
    """One goal of the issue: `value` (a ratio to a same-run baseline, or a number of the run) against
    `target`, met when value >= target (at_least) or value <= target."""

    name: str
    value: float | None
    target: float
    at_least: bool = True
    unit: str = "x"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "target": self.target,
                "comparison": ">=" if self.at_least else "<=", "unit": self.unit, "met": self.met,
                "note": self.note}


def fmt(value: float | None, unit: str = "x", digits: int = 2) -> str:
    if value is None:
        return "—"
    if unit == "x":
        return f"{value:.{digits}f}×"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "ms":
        return f"{value:.{digits}f} ms"
    return f"{value:.{digits}f}{(' ' + unit) if unit else ''}"


def verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**NOT MET**", None: "not measured"}[met]


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
