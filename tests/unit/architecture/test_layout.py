"""The layout's rules, checked on the source (docs/adr/0007-layout-and-action-context.md).

The one-way layers and the pure core's freedom from Django are import-linter contracts in
pyproject.toml, run by `make lint`; these tests hold the rest: no import cycles between modules
(function-level imports included), no module over 600 lines, one permission predicate.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[3] / "src" / "asamblea"
MAX_LINES = 600


def _modules_to_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_no_source_module_is_longer_than_six_hundred_lines() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in _modules_to_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines (each probably holds two ideas): {long}"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; returns the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _import_graph() -> dict[str, set[str]]:
    built = grimp.build_graph("asamblea")
    return {
        module: {
            m for m in built.find_modules_directly_imported_by(module) if "migrations" not in m
        }
        for module in built.modules
        if "migrations" not in module
    }


def test_strongly_connected_finds_a_planted_cycle() -> None:
    # The cycle finder itself must be able to fail.
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules_function_level_imports_included() -> None:
    cycles = _strongly_connected(_import_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


ROLE_CHECKS = re.compile(
    r"OfficerRole\.objects\.(filter|exists|get)\(|def (is_officer|is_chair|has_role)\b"
)


# Every module but the predicate itself.
DECIDERS = sorted(p for p in _modules_to_files() if p != SRC / "core" / "permissions.py")


@pytest.mark.parametrize("path", DECIDERS, ids=lambda p: str(p.relative_to(SRC)))
def test_roles_are_decided_only_by_the_one_predicate(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    hits = [m.group(0) for m in ROLE_CHECKS.finditer(text)]
    allowed_reads = {"registry/actions/officers.py", "registry/queries.py", "registry/admin.py"}
    if str(path.relative_to(SRC)) in allowed_reads:
        # Granting, revoking and listing offices reads the rows; deciding does not happen here.
        hits = [h for h in hits if h.startswith("def ")]
    assert hits == [], f"{path.relative_to(SRC)} decides roles itself: {hits}"
