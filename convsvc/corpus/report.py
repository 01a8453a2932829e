"""What a run tells: per suite and per format pair tallies against the baseline, as a terminal table,
a JSON report (every case) and one self-contained HTML page."""

from __future__ import annotations

import dataclasses
import difflib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction

from convsvc.corpus.model import FAILED, FORMATS, SKIPPED, CaseResult

OK, REGRESSED, NEW, NOT_RUN = "ok", "regressed", "new", "not run"


@dataclasses.dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, verdict: str) -> None:
        setattr(self, verdict, getattr(self, verdict) + 1)

    def __iadd__(self, other: "Tally") -> "Tally":
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        return self

    @property
    def cases(self) -> int:
        return self.passed + self.failed + self.skipped

    @property
    def rate(self) -> Fraction | None:
        """Passed among the judged (skipped cases are not judged); None when nothing was judged."""
        judged = self.passed + self.failed
        return Fraction(self.passed, judged) if judged else None

    def to_dict(self) -> dict:
        return {"cases": self.cases, "passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                "rate": _round(self.rate)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Tally":
        return cls(int(data.get("passed", 0)), int(data.get("failed", 0)), int(data.get("skipped", 0)))


@dataclasses.dataclass
class Row:
    """A suite or a format pair: this run's tally, the baseline's, and the verdict on the change."""

    name: str
    tally: Tally
    baseline: Tally | None = None
    status: str = OK
    reason: str = ""

    @property
    def change(self) -> Fraction | None:
        if self.baseline is None or self.tally.rate is None or self.baseline.rate is None:
            return None
        return self.tally.rate - self.baseline.rate

    def to_dict(self) -> dict:
        out = {**self.tally.to_dict(), "baseline": _round(self.baseline.rate) if self.baseline else None,
               "change": _round(self.change), "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclasses.dataclass
class Summary:
    target: str
    jobs: int
    started_at: str
    seconds: float
    results: list[CaseResult]
    suites: list[Row]
    pairs: list[Row]
    regressions: list[str]
    newly_failing: list[str]
    compared: bool  # a baseline was given

    @property
    def total(self) -> Tally:
        total = Tally()
        for row in self.suites:
            total += row.tally
        return total

    @property
    def failed(self) -> list[CaseResult]:
        return [result for result in self.results if result.verdict == FAILED]


def _round(rate: Fraction | None) -> float | None:
    return None if rate is None else round(float(rate), 4)


def pair_name(source: str, target: str) -> str:
    return f"{source}->{target}"


def _tallies(results: Iterable[CaseResult]) -> dict[str, dict[str | None, Tally]]:
    """suite -> pair (None: the suite's own total) -> tally."""
    out: dict[str, dict[str | None, Tally]] = {}
    for result in results:
        per_suite = out.setdefault(result.case.suite, {None: Tally()})
        per_suite[None].add(result.verdict)
        if result.case.pair is not None:
            per_suite.setdefault(result.case.pair_name, Tally()).add(result.verdict)
    return out


def summarize(suite_names: Sequence[str], unavailable: Mapping[str, str], results: list[CaseResult],
              baseline: Mapping | None, *, target: str, jobs: int, started_at: str, seconds: float) -> Summary:
    """Tally the run and hold it against the baseline: a rate below the baseline's (or a suite in the
    baseline that could not run) is a regression."""
    tallies = _tallies(results)
    base_suites = (baseline or {}).get("suites", {})
    suites, regressions = [], []
    for name in suite_names:
        tally = tallies.get(name, {None: Tally()})[None]
        known = base_suites.get(name)
        row = Row(name, tally, Tally.from_dict(known) if known else None)
        if name in unavailable:
            row.status, row.reason = NOT_RUN, unavailable[name]
            if known:
                regressions.append(f"suite {name}: not run ({unavailable[name]})")
        elif baseline is not None and known is None:
            row.status = NEW
        elif known is not None and _fell(tally, row.baseline):
            row.status = REGRESSED
            regressions.append(f"suite {name}: {_percent(tally.rate)} < baseline {_percent(row.baseline.rate)}")
        suites.append(row)
    pairs = []
    ran = [name for name in suite_names if name not in unavailable]
    for source in FORMATS:
        for target_format in FORMATS:
            pair = pair_name(source, target_format)
            tally, base, in_base = Tally(), Tally(), False
            for name in ran:
                tally += tallies.get(name, {}).get(pair, Tally())
                known = base_suites.get(name, {}).get("pairs", {}).get(pair)
                if known:
                    base += Tally.from_dict(known)
                    in_base = True
            if not tally.cases and not in_base:
                continue
            row = Row(pair, tally, base if in_base else None)
            if baseline is not None and not in_base:
                row.status = NEW
            elif in_base and _fell(tally, base):
                row.status = REGRESSED
                regressions.append(f"pair {pair}: {_percent(tally.rate)} < baseline {_percent(base.rate)}")
            pairs.append(row)
    failing_before = {case for name in ran for case in base_suites.get(name, {}).get("failing", [])}
    newly_failing = [] if baseline is None else [
        result.case.id for result in results
        if result.verdict == FAILED and result.case.id not in failing_before and result.case.suite in base_suites]
    return Summary(target=target, jobs=jobs, started_at=started_at, seconds=seconds, results=results, suites=suites,
                   pairs=pairs, regressions=regressions, newly_failing=newly_failing, compared=baseline is not None)


def _fell(now: Tally, before: Tally | None) -> bool:
    if before is None or before.rate is None:
        return False
    return now.rate is None or now.rate < before.rate


def _percent(rate: Fraction | None) -> str:
    return "–" if rate is None else f"{float(rate) * 100:.1f}%"


def _change(row: Row, compared: bool) -> str:
    if not compared:
        return ""
    if row.status in (NEW, NOT_RUN):
        return row.status
    change = row.change
    return "–" if change is None else f"{float(change) * 100:+.1f} pp"


# -- baseline ----------------------------------------------------------------------------------------

def baseline_document(summary: Summary, previous: Mapping | None = None) -> dict:
    """The baseline as `--update-baseline` writes it: per suite its tally, per format pair, and the
    failing cases; suites not run this time keep their previous entry."""
    tallies = _tallies(summary.results)
    suites = dict((previous or {}).get("suites", {}))
    for row in summary.suites:
        if row.status == NOT_RUN:
            continue
        per_pair = tallies.get(row.name, {})
        suites[row.name] = {**row.tally.to_dict(),
                            "pairs": {pair: tally.to_dict() for pair, tally in sorted(per_pair.items(),
                                                                                      key=lambda item: str(item[0]))
                                      if pair is not None},
                            "failing": sorted(result.case.id for result in summary.results
                                              if result.case.suite == row.name and result.verdict == FAILED)}
    return {"about": "The corpus rates `convsvc corpus run --baseline` holds a run to (a lower rate exits 1). "
                     "Written by `convsvc corpus run --update-baseline`; review changes like code.",
            "suites": dict(sorted(suites.items()))}


def baseline_text(document: Mapping) -> str:
    """The baseline as JSON with every tally on one line (its diffs read as rate changes)."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    return re.sub(r"\{[^{}\[\]]*\}", lambda match: " ".join(match.group(0).split()), text) + "\n"


def markdown_rates(baseline: Mapping, order: Sequence[str] = ()) -> str:
    """The README's tables from a baseline: per suite, and the format-pair matrix (rate, passed/judged)."""
    suites = baseline["suites"]
    names = [name for name in order if name in suites] + sorted(set(suites) - set(order))
    lines = ["| suite | cases | passed | failed | skipped | rate |", "|---|---:|---:|---:|---:|---:|"]
    for name in names:
        tally = Tally.from_dict(suites[name])
        lines.append(f"| {name} | {tally.cases} | {tally.passed} | {tally.failed} | {tally.skipped} | "
                     f"{_percent(tally.rate)} |")
    pairs: dict[str, Tally] = {}
    for name in names:
        for pair, data in suites[name].get("pairs", {}).items():
            pairs[pair] = pairs.get(pair, Tally())
            pairs[pair] += Tally.from_dict(data)
    lines += ["", "| from \\ to | " + " | ".join(FORMATS) + " |", "|---|" + "---:|" * len(FORMATS)]
    for source in FORMATS:
        cells = []
        for target in FORMATS:
            tally = pairs.get(pair_name(source, target))
            cells.append("–" if tally is None or not tally.cases else
                         f"{_percent(tally.rate)} ({tally.passed}/{tally.passed + tally.failed})")
        lines.append(f"| **{source}** | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# -- JSON --------------------------------------------------------------------------------------------

def to_json(summary: Summary) -> dict:
    from convsvc import __version__

    return {
        "convsvc_version": __version__,
        "target": summary.target,
        "jobs": summary.jobs,
        "started_at": summary.started_at,
        "seconds": round(summary.seconds, 3),
        "totals": summary.total.to_dict(),
        "suites": [{"name": row.name, **row.to_dict()} for row in summary.suites],
        "pairs": [{"pair": row.name, **row.to_dict()} for row in summary.pairs],
        "regressions": summary.regressions,
        "newly_failing": summary.newly_failing,
        "cases": [result.to_dict() for result in summary.results],
    }


# -- terminal ----------------------------------------------------------------------------------------

def print_summary(summary: Summary, console) -> None:
    """The table of suites and of format pairs (rich: colour on a terminal, plain text elsewhere)."""
    from rich import box
    from rich.table import Table

    for title, rows in (("suite", summary.suites), ("format pair", summary.pairs)):
        if not rows:
            continue
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        table.add_column(title, no_wrap=True)
        for column in ("cases", "passed", "failed", "skipped", "rate"):
            table.add_column(column, justify="right")
        if summary.compared:
            table.add_column("baseline", justify="right")
            table.add_column("change", justify="right")
        for row in rows:
            cells = [row.name.replace("->", " → "), str(row.tally.cases), str(row.tally.passed),
                     str(row.tally.failed), str(row.tally.skipped), _percent(row.tally.rate)]
            if summary.compared:
                cells += [_percent(row.baseline.rate) if row.baseline else "–", _change(row, True)]
            style = {REGRESSED: "bold red", NOT_RUN: "yellow"}.get(row.status, "")
            table.add_row(*cells, style=style)
        console.print(table)
    total = summary.total
    console.print(f"{total.cases} cases: {total.passed} passed, {total.failed} failed, {total.skipped} skipped "
                  f"({_percent(total.rate)}) in {summary.seconds:.1f}s against {summary.target} "
                  f"(jobs {summary.jobs})", highlight=False)
    for row in summary.suites:
        if row.status == NOT_RUN:
            console.print(f"[yellow]not run[/yellow] {row.name}: {row.reason}", highlight=False)
    if summary.newly_failing:
        shown = ", ".join(summary.newly_failing[:20])
        more = f" and {len(summary.newly_failing) - 20} more" if len(summary.newly_failing) > 20 else ""
        console.print(f"failing now, not in the baseline's failing cases: {shown}{more}", highlight=False)
    for regression in summary.regressions:
        console.print(f"[bold red]regression[/bold red] {regression}", highlight=False)


# -- HTML --------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1d232a}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid #d8dde3}
.meta{color:#56606b}.totals b{font-size:1.15rem}
table{border-collapse:collapse}th,td{padding:.3rem .55rem;text-align:right}
th:first-child,td:first-child{text-align:left}
table.matrix td{width:7.5rem;text-align:center;border:1px solid #fff;border-radius:4px}
table.matrix td.none{background:#eef0f2;color:#98a1aa}.matrix small{display:block;color:#2f3740;opacity:.75}
table.suites td{border-bottom:1px solid #eef0f2}.regressed{color:#b3261e;font-weight:600}.notrun{color:#8a6100}
.bar{display:flex;width:18rem;height:.9rem;border-radius:3px;overflow:hidden;background:#eef0f2}
.bar span{display:block;height:100%}.p{background:#2e9d57}.f{background:#d2453b}.s{background:#c3c9cf}
details{border:1px solid #d8dde3;border-radius:6px;margin:.45rem 0;padding:.35rem .7rem}
summary{cursor:pointer}summary code{font-weight:600}.why{color:#56606b}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:28rem;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.diff .add{background:#e6f6ea;color:#14532d}.diff .del{background:#fdecea;color:#7f1d1d}.diff .hunk{color:#6b46c1}
.legend span{display:inline-block;width:1rem;height:.8rem;vertical-align:middle;border-radius:2px;
margin:0 .2rem 0 .6rem}
"""


def _colour(rate: Fraction | None) -> str:
    """Green at 100%, yellow-green at 95%, amber at 90%, red from about 75% down: the steps that matter
    are near the top."""
    return f"hsl({round(float(rate) ** 8 * 120)},62%,78%)" if rate is not None else "#eef0f2"


def _diff(expected: str, got: str) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), got.splitlines(), "expected", "got", lineterm="", n=3))
    if not lines:
        return ""
    out = []
    for line in lines:
        kind = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") and not line.startswith("+++")
                else "del" if line.startswith("-") and not line.startswith("---") else "")
        text = html.escape(line)
        out.append(f'<span class="{kind}">{text}</span>' if kind else text)
    return '<pre class="diff">' + "\n".join(out) + "</pre>"


def to_html(summary: Summary) -> str:
    """One page, no external assets: the format-pair matrix coloured by pass rate, a bar per suite, the
    failing cases with a diff of expected against got, the skipped ones with their reasons."""
    esc = html.escape
    total = summary.total
    parts = [
        ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width,initial-scale=1">'
         f"<title>convsvc corpus: {esc(_percent(total.rate))} against {esc(summary.target)}</title>"
         f"<style>{_CSS}</style></head><body>"),
        "<h1>convsvc corpus report</h1>",
        (f'<p class="meta">target <b>{esc(summary.target)}</b> · started {esc(summary.started_at)} · '
         f"{summary.seconds:.1f}s · jobs {summary.jobs}</p>"),
        (f'<p class="totals"><b>{esc(_percent(total.rate))}</b> passed of the judged cases · {total.cases} cases: '
         f"{total.passed} passed, {total.failed} failed, {total.skipped} skipped</p>"),
    ]
    if summary.regressions:
        parts.append('<h2 class="regressed">Regressions against the baseline</h2><ul>'
                     + "".join(f'<li class="regressed">{esc(item)}</li>' for item in summary.regressions) + "</ul>")
    parts.append(_matrix_html(summary))
    parts.append(_suites_html(summary))
    parts.append(_cases_html(summary))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _matrix_html(summary: Summary) -> str:
    esc = html.escape
    cells = {row.name: row for row in summary.pairs}
    out = ['<h2>Format pairs</h2><table class="matrix"><tr><th>from \\ to</th>'
           + "".join(f"<th>{name}</th>" for name in FORMATS) + "</tr>"]
    for source in FORMATS:
        out.append(f"<tr><th>{source}</th>")
        for target in FORMATS:
            row = cells.get(pair_name(source, target))
            if row is None or not row.tally.cases:
                out.append('<td class="none" title="no cases">–</td>')
                continue
            tally = row.tally
            tip = f"{source} → {target}: {tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped"
            out.append(f'<td style="background:{_colour(tally.rate)}" title="{esc(tip)}">'
                       f"<b>{esc(_percent(tally.rate))}</b><small>{tally.passed}/{tally.passed + tally.failed}"
                       f"{f' · {tally.skipped} skipped' if tally.skipped else ''}</small></td>")
        out.append("</tr>")
    out.append("</table>")
    legend = "".join(f'<span style="background:{_colour(Fraction(percent, 100))}"></span>{percent}% '
                     for percent in (100, 98, 95, 90, 80, 50))
    out.append(f'<p class="legend">pass rate: {legend}<span style="background:#eef0f2"></span>no cases</p>')
    return "".join(out)


def _suites_html(summary: Summary) -> str:
    esc = html.escape
    head = "<th>suite</th><th></th><th>cases</th><th>passed</th><th>failed</th><th>skipped</th><th>rate</th>"
    if summary.compared:
        head += "<th>baseline</th><th>change</th>"
    out = [f'<h2>Suites</h2><table class="suites"><tr>{head}</tr>']
    for row in summary.suites:
        tally = row.tally
        widths = [100 * count / tally.cases if tally.cases else 0 for count in (tally.passed, tally.failed,
                                                                                   tally.skipped)]
        bar = ('<div class="bar">' + "".join(f'<span class="{kind}" style="width:{width:.2f}%"></span>'
                                             for kind, width in zip("pfs", widths)) + "</div>")
        klass = {REGRESSED: ' class="regressed"', NOT_RUN: ' class="notrun"'}.get(row.status, "")
        cells = (f"<td>{esc(row.name)}</td><td>{bar}</td><td>{tally.cases}</td><td>{tally.passed}</td>"
                 f"<td>{tally.failed}</td><td>{tally.skipped}</td><td>{esc(_percent(tally.rate))}</td>")
        if summary.compared:
            cells += (f"<td>{esc(_percent(row.baseline.rate) if row.baseline else '–')}</td>"
                      f"<td>{esc(_change(row, True))}</td>")
        title = f' title="{esc(row.reason)}"' if row.reason else ""
        out.append(f"<tr{klass}{title}>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _cases_html(summary: Summary) -> str:
    esc = html.escape
    failed = summary.failed
    out = [f"<h2>Failing cases ({len(failed)})</h2>"]
    if not failed:
        out.append("<p>None.</p>")
    for result in failed:
        judgement = result.judgement
        why = esc(judgement.detail) + (f" · {esc(judgement.note)}" if judgement.note else "")
        diff = _diff(judgement.expected, judgement.got) or (
            "<p class=\"why\">expected and got read the same: what failed is said above.</p>")
        issues = f"<p>issues: <code>{esc(' '.join(judgement.issues))}</code></p>" if judgement.issues else ""
        title = f"<p class=\"why\">{esc(result.case.title)}</p>" if result.case.title else ""
        out.append(f"<details><summary><code>{esc(result.case.id)}</code> <span class=\"why\">— {why}</span>"
                   f"</summary>{title}{issues}{diff}</details>")
    skipped = [result for result in summary.results if result.verdict == SKIPPED]
    if skipped:
        rows = "".join(f"<tr><td><code>{esc(result.case.id)}</code></td><td style=\"text-align:left\">"
                       f"{esc(result.judgement.detail)}</td></tr>" for result in skipped)
        out.append(f"<h2>Skipped cases ({len(skipped)})</h2><details><summary>every skipped case and why"
                   f"</summary><table>{rows}</table></details>")
    return "".join(out)

