"""docs/security.md lists every configurable limit with its default, from the one table in the code."""

from __future__ import annotations

import dataclasses
import re

from convsvc.model.limits import Limits
from tests.conftest import ROOT


def test_the_security_page_lists_every_limit_with_its_default():
    text = (ROOT / "docs" / "security.md").read_text()
    listed = dict(re.findall(r"^\| `(max_\w+)` \| (\d+) \|", text, re.M))
    assert listed == {field.name: str(field.default) for field in dataclasses.fields(Limits)}
