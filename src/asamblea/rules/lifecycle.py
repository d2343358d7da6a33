"""The election's state machine: which move is allowed from which state, and what blocks it.

Pure: plain values in, a list of reasons out (Helios' ``issues_before_freeze``). The app gathers
the values (how many candidates stand, how many officers certified) and moves only when the list
is empty; officers see the same list on the election's page, in the API and in the CLI.
"""

from __future__ import annotations

from collections.abc import Collection

DRAFT = "draft"
NOMINATIONS = "nominations"
OPEN = "open"
CLOSED = "closed"
COUNTED = "counted"
CERTIFIED = "certified"

STATES = (DRAFT, NOMINATIONS, OPEN, CLOSED, COUNTED, CERTIFIED)
RECALL = "recall"
INSTRUCTION = "instruction"
# Kinds with no candidates: a recall vote (yes/no) and a unit's instruction vote (fixed options).
NO_CANDIDATES = (RECALL, INSTRUCTION)

# Certifying a result needs two different election officers (SYSTEM.md, "Two people, not one").
CERTIFICATIONS_NEEDED = 2


def allowed_from(to_state: str, kind: str) -> list[str]:
    """The states an election of ``kind`` may move to ``to_state`` from. A recall vote and an
    instruction vote open straight from their draft: they have no candidates to nominate."""
    table = {
        NOMINATIONS: [DRAFT],
        OPEN: [NOMINATIONS] + ([DRAFT] if kind in NO_CANDIDATES else []),
        CLOSED: [OPEN],
        COUNTED: [CLOSED],
        CERTIFIED: [COUNTED],
    }
    return table.get(to_state, [])


def next_state(state: str) -> str:
    """The state after ``state`` in the usual order (the last one stays)."""
    i = STATES.index(state)
    return STATES[min(i + 1, len(STATES) - 1)]


def blocking_issues(
    *,
    state: str,
    to_state: str,
    kind: str,
    standing: int,
    method: str,
    methods: Collection[str],
    certifications: int,
) -> list[str]:
    """Why an election in ``state`` may not move to ``to_state`` now; empty when it may.

    ``standing`` is the number of candidates not withdrawn, ``methods`` the counting methods
    available, ``certifications`` the number of distinct officers who certified so far.
    """
    issues: list[str] = []
    sources = allowed_from(to_state, kind)
    if state not in sources:
        shown = sources or [DRAFT, NOMINATIONS, OPEN, CLOSED, COUNTED]
        issues.append(f"the election is {state}, not {' or '.join(shown)}")
    if to_state == OPEN and kind not in NO_CANDIDATES:
        if standing < 1:
            issues.append("no candidate is standing")
        if method not in methods:
            issues.append(f"the counting method {method!r} is not available")
    if to_state == CERTIFIED and certifications < CERTIFICATIONS_NEEDED:
        issues.append("two different election officers must certify")
    return issues
