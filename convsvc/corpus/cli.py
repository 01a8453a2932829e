"""`convsvc corpus run | list | show`: the corpus compatibility suite from the command line.

    convsvc corpus run [--suite NAME ...] [--target HOST:PORT] [--corpora DIR] [--jobs N]
                       [--report report.json] [--html report.html] [--baseline corpus/baseline.json]
    convsvc corpus list [--suite NAME ...] [--json]
    convsvc corpus show CASE [--target HOST:PORT]
    convsvc corpus rates [--baseline corpus/baseline.json]     (the README's tables)

Exit codes of `run`: 0 done (with --baseline: no rate fell below it; without: no case failed), 1 a rate
fell below the baseline (or, without one, a case failed), 2 usage error, 3 server unreachable.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import sys
import time

from convsvc.cli.call_options import add_call_options

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
READY_SECONDS = 10.0
# The engine judges about 2000 corpus cases a second; a spawned worker process takes about half a second
# to start and import the codecs. Below this many cases one process finishes before workers would start.
PROCESSES_PAY_FROM = 4000
REMOTE_THREADS = 4  # the server does the work; a few calls in flight keep it busy


def default_jobs(cases: int, remote: bool) -> int:
    if remote:
        return REMOTE_THREADS
    return (os.cpu_count() or 1) if cases >= PROCESSES_PAY_FROM else 1


class UsageError(Exception):
    """A bad command line (exit 2)."""


def add_parser(commands) -> argparse.ArgumentParser:
    corpus = commands.add_parser("corpus", help="run the corpus compatibility suite (docs/corpus.md)",
                                 description=__doc__.splitlines()[0])
    sub = corpus.add_subparsers(dest="corpus_command", required=True, metavar="CORPUS_COMMAND")

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--suite", dest="suites", action="extend", nargs="+", default=[], metavar="NAME",
                            help="a suite (see `convsvc corpus list`) or a folder of your own cases; repeatable "
                                 "(default: every built-in suite)")
        parser.add_argument("--corpora", metavar="DIR",
                            help="where JSONTestSuite/ and yaml-test-suite/ are (default: $CONVSVC_CORPORA, "
                                 "else ../shared/corpora beside the project)")

    run = sub.add_parser("run", help="run the suites and report")
    common(run)
    run.add_argument("--target", dest="address", metavar="HOST:PORT",
                     help="run the cases through this server (default: the engine in process)")
    run.add_argument("--jobs", "-j", type=int, metavar="N",
                     help="cases at once: worker processes in process, threads against a server (default: "
                          f"in process 1 below {PROCESSES_PAY_FROM} cases, else the CPU count; 4 against a server)")
    run.add_argument("--report", metavar="FILE", help="write the JSON report (every case) to FILE")
    run.add_argument("--html", metavar="FILE", help="write the HTML report to FILE")
    run.add_argument("--baseline", metavar="FILE", help="compare with this baseline: exit 1 when a rate falls below it")
    run.add_argument("--update-baseline", action="store_true",
                     help="write this run's rates to the --baseline file instead of comparing")
    add_call_options(run.add_argument_group("with --target"))

    listing = sub.add_parser("list", help="list the suites and how many cases each has")
    common(listing)
    listing.add_argument("--json", action="store_true", help="print as JSON")

    rates = sub.add_parser("rates", help="print a baseline's rates as the README's Markdown tables")
    rates.add_argument("--baseline", default="corpus/baseline.json", metavar="FILE",
                       help="the baseline (default corpus/baseline.json)")

    show = sub.add_parser("show", help="run one case and show everything about it")
    show.add_argument("case", metavar="CASE", help="a case id (suite/name), or its unique ending")
    common(show)
    show.add_argument("--target", dest="address", metavar="HOST:PORT",
                      help="run the case through this server (default: the engine in process)")
    add_call_options(show.add_argument_group("with --target"))
    return corpus


def run(args: argparse.Namespace) -> int:
    try:
        if args.corpus_command == "list":
            return _list(args)
        if args.corpus_command == "show":
            return _show(args)
        if args.corpus_command == "rates":
            return _rates(args)
        return _run(args)
    except UsageError as error:
        print(f"convsvc: {error}", file=sys.stderr)
        return EXIT_USAGE


def _suites(args: argparse.Namespace):
    from convsvc.corpus.suites import builtin_suites, suite_named

    if not args.suites:
        return builtin_suites()
    chosen, seen = [], set()
    for name in args.suites:
        try:
            suite = suite_named(name)
        except KeyError as error:
            raise UsageError(error.args[0]) from None
        if suite.name in seen:
            raise UsageError(f"two suites named {suite.name!r}")
        seen.add(suite.name)
        chosen.append(suite)
    return chosen


def _where(args: argparse.Namespace):
    from convsvc.corpus.model import Where

    return Where.default(args.corpora)


def _target_spec(args: argparse.Namespace):
    from convsvc.cli.call_options import call_options
    from convsvc.corpus.targets import TargetSpec

    return TargetSpec(args.address, call_options(args)) if args.address else TargetSpec()


def _ready_target(spec):
    """The target, made; a server that does not answer is exit 3 (None)."""
    target = spec.make()
    wait = min(READY_SECONDS, spec.options.deadline) if spec.address else 0
    if spec.address and not target.wait_ready(wait):
        print(f"convsvc: {spec.address}: the server did not answer within {wait:g}s", file=sys.stderr)
        return None
    return target


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from convsvc.corpus import report
    from convsvc.corpus.runner import plan
    from convsvc.corpus.runner import run as run_cases

    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline writes the --baseline FILE: give one")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.idempotency_key:
        raise UsageError("--idempotency-key would make every case's call a replay of the first")
    baseline = None
    if args.baseline and not args.update_baseline:
        try:
            baseline = json.loads(pathlib.Path(args.baseline).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UsageError(f"baseline {args.baseline}: {error}") from None
    suites = _suites(args)
    work = plan(suites, _where(args))
    spec = _target_spec(args)
    jobs = args.jobs or default_jobs(len(work.cases), remote=bool(spec.address))
    target = _ready_target(spec)
    if target is None:
        return EXIT_UNREACHABLE
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    try:
        with native_stderr_silenced() as stderr:
            progress = RichProgress(stderr) if stderr.isatty() else PlainProgress(stderr)
            results = run_cases(work.cases, spec, jobs, progress, target=target)
    finally:
        target.close()
    seconds = time.perf_counter() - clock
    summary = report.summarize([suite.name for suite in suites], work.unavailable, results, baseline,
                               target=spec.name, jobs=jobs, started_at=started.isoformat(timespec="seconds"),
                               seconds=seconds)
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
    report.print_summary(summary, console)
    if args.report:
        pathlib.Path(args.report).write_text(json.dumps(report.to_json(summary), indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    if args.html:
        pathlib.Path(args.html).write_text(report.to_html(summary), encoding="utf-8")
    if args.update_baseline:
        path = pathlib.Path(args.baseline)
        previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        path.write_text(report.baseline_text(report.baseline_document(summary, previous)), encoding="utf-8")
        print(f"baseline written to {path}", file=sys.stderr)
        return EXIT_OK
    if baseline is not None:
        return EXIT_FAILED if summary.regressions else EXIT_OK
    return EXIT_FAILED if summary.failed or work.unavailable else EXIT_OK


@contextlib.contextmanager
def native_stderr_silenced():
    """While cases run, file descriptor 2 goes to /dev/null: the C++ YAML parser prints every parse
    error there before the codec turns it into an issue (which the reports hold). Yields a stream on
    the real stderr for the progress display; worker processes started meanwhile inherit the silence."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        with os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace", buffering=1) as stream:
            yield stream
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _rates(args: argparse.Namespace) -> int:
    from convsvc.corpus import report
    from convsvc.corpus.suites import builtin_suites

    try:
        baseline = json.loads(pathlib.Path(args.baseline).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"baseline {args.baseline}: {error}") from None
    print(report.markdown_rates(baseline, [suite.name for suite in builtin_suites()]), end="")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from convsvc.corpus.runner import plan

    suites = _suites(args)
    work = plan(suites, _where(args))
    counts = {suite.name: 0 for suite in suites}
    for case in work.cases:
        counts[case.suite] += 1
    rows = [{"name": suite.name, "cases": counts[suite.name], "description": suite.description,
             **({"unavailable": work.unavailable[suite.name]} if suite.name in work.unavailable else {})}
            for suite in suites]
    if args.json:
        print(json.dumps(rows, indent=1))
        return EXIT_OK
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        cases = f"{row['cases']:>5} cases" if "unavailable" not in row else "  not found"
        print(f"{row['name']:<{width}}  {cases}  {row.get('unavailable', row['description'])}")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from convsvc.corpus.runner import judge_case, plan

    work = plan(_suites(args), _where(args))
    matches = [case for case in work.cases if case.id == args.case]
    if not matches:
        matches = [case for case in work.cases if case.id.endswith("/" + args.case)]
    if len(matches) != 1:
        some = "" if not matches else ": " + ", ".join(case.id for case in matches[:10])
        raise UsageError(f"{'no case' if not matches else f'{len(matches)} cases'} matching {args.case!r}{some}"
                         " (`convsvc corpus run --report` lists every id; give --suite for a folder of your own)")
    case = matches[0]
    spec = _target_spec(args)
    target = _ready_target(spec)
    if target is None:
        return EXIT_UNREACHABLE
    print(f"case     {case.id}")
    print(f"suite    {case.suite}")
    if case.pair:
        print(f"pair     {case.pair[0]} → {case.pair[1]}")
    if case.title:
        print(f"about    {case.title}")
    print(f"target   {spec.name}")
    for key, value in case.data.items():
        if isinstance(value, str) and ("/" in value or key in ("name", "aspect", "kind", "level", "type")):
            print(f"{key:<8} {value}")
    print()
    try:
        result = judge_case(case, Recording(target))
    finally:
        target.close()
    judgement = result.judgement
    print()
    print(f"verdict  {judgement.verdict.upper()} ({result.seconds * 1000:.1f} ms)")
    for label, value in (("detail", judgement.detail), ("note", judgement.note)):
        if value:
            print(f"{label:<8} {value}")
    if judgement.issues:
        print(f"issues   {' '.join(judgement.issues)}")
    print("expected:")
    print(_indent(judgement.expected))
    print("got:")
    print(_indent(judgement.got))
    return EXIT_FAILED if judgement.verdict == "failed" else EXIT_OK


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in (text or "(nothing)").splitlines())


class Recording:
    """A target that prints every call and its whole answer (for `corpus show`)."""

    def __init__(self, target) -> None:
        self._target = target
        self.name = target.name

    def convert(self, request):
        from convsvc.corpus.suites._judging import show_bytes

        source, target = request.source, request.target
        sides = " → ".join(f"{spec.format}{'/' + spec.encoding if spec.encoding else ''}"
                           f"{' ' + str(dict(spec.options)) if spec.options else ''}"
                           f"{' (schema)' if spec.schema else ''}{' (reader schema)' if spec.reader_schema else ''}"
                           for spec in (source, target))
        print(f"→ convert {sides}, {request.mode.value}, {len(request.payload)} bytes:")
        print(_indent(show_bytes(request.payload)))
        outcome = self._target.convert(request)
        if outcome.converted:
            print(f"← converted, {len(outcome.payload)} bytes:")
            print(_indent(show_bytes(outcome.payload) if outcome.payload else "(empty)"))
        else:
            print(f"← refused: {outcome.status} ({outcome.kind}), ErrorInfo reason {outcome.reason or '-'}")
        for issue in outcome.issues:
            print(f"   {issue.level.name.lower()}: {issue.describe()}")
        return outcome

    def check_compatibility(self, schema_type, versions, new, level):
        print(f"→ check {schema_type} compatibility at {level}: {len(versions)} old version(s), then the new one")
        for number, text in enumerate(versions, 1):
            print(f"  version {number}:")
            print(_indent(_indent(text)))
        print("  new:")
        print(_indent(_indent(new)))
        answer = self._target.check_compatibility(schema_type, versions, new, level)
        if answer.refused:
            print(f"← refused: {answer.refused}")
        elif not answer.reasons:
            print("← compatible")
        for code, path, version in answer.reasons:
            print(f"   {code} at {path or '(root)'} (old version {version})")
        return answer


class PlainProgress:
    """Not a terminal: one line when the run starts and one as each suite finishes (on stderr)."""

    def __init__(self, stream=None) -> None:
        self._stream = stream or sys.stderr

    def start(self, totals: dict[str, int], target: str, jobs: int) -> None:
        self._totals = dict(totals)
        self._counts = {name: {"passed": 0, "failed": 0, "skipped": 0} for name in totals}
        self._clock = time.perf_counter()
        print(f"corpus: {_counted(sum(totals.values()), 'case')} in {_counted(len(totals), 'suite')} against "
              f"{target} (jobs {jobs})", file=self._stream, flush=True)

    def advance(self, result) -> None:
        counts = self._counts[result.case.suite]
        counts[result.verdict] += 1
        if sum(counts.values()) == self._totals[result.case.suite]:
            print(f"{result.case.suite}: {self._totals[result.case.suite]} cases, {counts['passed']} passed, "
                  f"{counts['failed']} failed, {counts['skipped']} skipped "
                  f"({time.perf_counter() - self._clock:.1f}s)", file=self._stream, flush=True)

    def stop(self) -> None:
        pass


class RichProgress:
    """A terminal: a live progress bar per suite, with its failures so far."""

    def __init__(self, stream=None) -> None:
        self._stream = stream or sys.stderr

    def start(self, totals: dict[str, int], target: str, jobs: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("[red]{task.fields[failed]} failed[/red]"), TimeElapsedColumn(),
                                  console=Console(file=self._stream))
        self._progress.console.print(f"corpus: {_counted(sum(totals.values()), 'case')} in "
                                     f"{_counted(len(totals), 'suite')} against {target} (jobs {jobs})",
                                     highlight=False)
        self._tasks = {name: self._progress.add_task(name, total=total, failed=0) for name, total in totals.items()}
        self._failed = dict.fromkeys(totals, 0)
        self._progress.start()

    def advance(self, result) -> None:
        suite = result.case.suite
        if result.verdict == "failed":
            self._failed[suite] += 1
        self._progress.update(self._tasks[suite], advance=1, failed=self._failed[suite])

    def stop(self) -> None:
        self._progress.stop()
