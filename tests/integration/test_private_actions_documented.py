"""The README lists every private action (core.action.PRIVATE_ACTIONS): an action that writes no
public record entry is a visible, reviewed choice, never a silent one."""

from __future__ import annotations

import re
from pathlib import Path

import asamblea.assemblies.actions
import asamblea.core.approvals
import asamblea.elections.actions
import asamblea.registry.actions
import asamblea.web.auth  # noqa: F401  (importing them declares their doors)
from asamblea.core.action import PRIVATE_ACTIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_private_action_is_listed_in_the_readme_with_its_area():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("The private actions") :]
    table = table[: table.index("\n\n", table.index("|"))]
    listed = set()
    for cell in re.findall(r"^\| ([^|]+) \|", table, flags=re.M):
        area = None
        for name in re.findall(r"`([a-z_.]+)`", cell):
            if "." in name:
                area, verb = name.split(".", 1)
            else:
                verb = name
            listed.add(f"{area}.{verb}")
    missing = sorted(set(PRIVATE_ACTIONS) - listed)
    assert not missing, f"private actions missing from README's table: {missing}"
    assert all(reason.strip() for reason in PRIVATE_ACTIONS.values())
