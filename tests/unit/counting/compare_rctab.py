"""Compare ``asamblea count --json`` output with an RCTab expected detailed report.

Checked, round by round: every candidate's tally (the same candidates, equal as decimals, so
"654" and "654.0000" agree), the threshold, who was elected and eliminated, the inactive ballots
by reason, and the votes each elected or eliminated candidate passed on (``tallyResults``
transfers); and the winners in order of election. Sequential IRV compares pass by pass.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

_INACTIVE = {
    "exhaustedChoices": "exhausted_choices",
    "overvotes": "overvotes",
    "skippedRankings": "skipped_rankings",
    "repeatedRankings": "repeated_rankings",
    "finalRoundSurplus": "final_round_surplus",
}


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _compare_round(
    where: str, exp: dict[str, Any], got: dict[str, Any], problems: list[str]
) -> None:
    e_tally = {k: _dec(v) for k, v in exp["tally"].items()}
    g_tally = {k: _dec(v) for k, v in got["tally"].items()}
    if e_tally != g_tally:
        diff = {
            k: (str(e_tally.get(k)), str(g_tally.get(k)))
            for k in sorted(set(e_tally) | set(g_tally))
            if e_tally.get(k) != g_tally.get(k)
        }
        problems.append(f"{where}: tally differs (expected, got): {diff}")
    if "threshold" in exp and _dec(exp["threshold"]) != _dec(got.get("threshold", "NaN")):
        problems.append(f"{where}: threshold {exp['threshold']} != {got.get('threshold')}")
    elected = sorted(r["elected"] for r in exp["tallyResults"] if "elected" in r)
    eliminated = sorted(r["eliminated"] for r in exp["tallyResults"] if "eliminated" in r)
    if elected != sorted(got["elected"]):
        problems.append(f"{where}: elected {elected} != {sorted(got['elected'])}")
    if eliminated != sorted(got["eliminated"]):
        problems.append(f"{where}: eliminated {eliminated} != {sorted(got['eliminated'])}")
    inactive = got.get("inactive", {})
    for key, ours in _INACTIVE.items():
        if key in exp["inactiveBallots"]:
            e = _dec(exp["inactiveBallots"][key])
            g = _dec(inactive.get(ours, "0"))
            if e != g:
                problems.append(f"{where}: inactive {key} {e} != {g}")
    moved = {t["from"]: t["moved"] for t in got.get("transfers", [])}
    for result in exp["tallyResults"]:
        name = result.get("elected") or result.get("eliminated")
        e_moves = {k: _dec(v) for k, v in result.get("transfers", {}).items() if _dec(v) != 0}
        g_moves = {k: _dec(v) for k, v in moved.get(name, {}).items() if _dec(v) != 0}
        if e_moves != g_moves:
            problems.append(f"{where}: transfers from {name}: {e_moves} != {g_moves}")


def compare_rctab(case_dir: str | Path, output: dict[str, Any]) -> None:
    """Raise AssertionError listing every difference between ``output`` and the reference."""
    case_dir = Path(case_dir)
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    if output["winners"] != expected["winners"]:
        problems.append(f"winners {output['winners']} != {expected['winners']}")
    reports = expected["reports"]
    passes = output.get("passes") or [{"winners": output["winners"], "rounds": output["rounds"]}]
    if len(passes) != len(reports):
        problems.append(f"{len(reports)} reports expected, {len(passes)} passes counted")
    for p, (report, counted) in enumerate(zip(reports, passes, strict=False), start=1):
        e_rounds = report["results"]
        g_rounds = counted["rounds"]
        if len(e_rounds) != len(g_rounds):
            problems.append(f"pass {p}: {len(e_rounds)} rounds expected, {len(g_rounds)} counted")
        for exp, got in zip(e_rounds, g_rounds, strict=False):
            _compare_round(f"pass {p} round {exp['round']}", exp, got, problems)
    if problems:
        raise AssertionError(f"{case_dir.name}: " + "\n".join(problems[:20]))
