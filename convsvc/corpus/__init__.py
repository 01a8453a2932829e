"""The corpus compatibility suite: public test suites and users' own cases, judged against a target.

A *suite* is one module of `convsvc.corpus.suites` that discovers its cases and judges one
(`suites.judge` is the one way a case is judged); a *target* is the in-process engine or a live server
(`targets`). `convsvc corpus run` (`cli`) runs them (`runner`) and reports (`report`); the pytest tests
judge the same cases with the same functions. See docs/corpus.md.

Nothing is imported here: the `convsvc` command builds its parser from `cli` on every run.
"""
