"""The table of suites: every module of this package with a `NAME` is a suite. Adding a suite is adding a module.

A suite module has `NAME`, `DESCRIPTION`, `ORDER` (its place in listings), `discover(suite, where) ->
[Case]` (raises SuiteUnavailable when its corpus is missing) and `judge(case, target) -> Judgement`.
The `folder` module is the one with `USER = True`: it serves every user folder (`--suite path/to/dir`).
"""

from __future__ import annotations

import functools
import importlib
import pathlib
import pkgutil
from types import ModuleType

from convsvc.corpus.model import Case, Judgement, Suite, Where


@functools.cache
def modules() -> dict[str, ModuleType]:
    """Suite modules by their module name, in ORDER."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "NAME"):
            found[info.name] = module
    return dict(sorted(found.items(), key=lambda item: item[1].ORDER))


def builtin_suites() -> list[Suite]:
    return [Suite(name=module.NAME, module=key, description=module.DESCRIPTION)
            for key, module in modules().items() if not getattr(module, "USER", False)]


def folder_suite(path: str | pathlib.Path) -> Suite:
    """A user's folder of cases (docs/corpus.md), named after the folder."""
    folder = pathlib.Path(path).resolve()
    return Suite(name=folder.name, module="folder", description=f"user cases in {folder}", root=str(folder))


def looks_like_folder(name: str) -> bool:
    return "/" in name or name.startswith(".") or pathlib.Path(name).is_dir()


def suite_named(name: str) -> Suite:
    """A built-in suite by name, or a folder suite when `name` is a path; KeyError when neither."""
    for suite in builtin_suites():
        if suite.name == name:
            return suite
    if looks_like_folder(name):
        if not pathlib.Path(name).is_dir():
            raise KeyError(f"no folder {name}")
        return folder_suite(name)
    known = ", ".join(suite.name for suite in builtin_suites())
    raise KeyError(f"no suite {name!r}; known: {known}, or a folder of your own cases")


def discover(suite: Suite, where: Where) -> list[Case]:
    return modules()[suite.module].discover(suite, where)


def cases(name: str, where: Where | None = None) -> list[Case]:
    """The cases of a built-in suite (SuiteUnavailable when its corpus is missing)."""
    return discover(suite_named(name), where or Where.default())


def judge(case: Case, target) -> Judgement:
    """The one way a case is judged (the runner and the pytest tests both call this)."""
    return modules()[case.module].judge(case, target)
