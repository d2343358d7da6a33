"""Comparators for the STV conformance cases: does a count's JSON (``asamblea count --json``, or
``CountResult.to_json()``) reproduce the reference result of a case folder?

- :func:`compare_scottish` for ``tests/conformance/scottish-stv/<ward>/``: winners in order of
  election; per stage (one round = one stage) every candidate's total to 5 decimal places, the
  candidates elected at the stage and the candidate excluded after it, and the non-transferable
  figure (``exhausted``: valid poll minus the candidates' totals); the quota.
- :func:`compare_meek` for ``tests/conformance/meek-reference/<case>/``: winners in order; per
  round of Droop's ``meek-prf`` record (a round that elects or defeats) every candidate's vote to
  9 decimal places, the keep factors when the output carries them, the quota, and who was elected
  and defeated in the round; and the first preferences when the output carries them.

Each raises ``AssertionError`` with a message naming the case, the round and the candidate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _load(case_dir: Path) -> dict[str, Any]:
    return json.loads((Path(case_dir) / "expected.json").read_text(encoding="utf-8"))


def _diff(got: dict[str, str], want: dict[str, str]) -> str:
    lines = []
    for name in sorted(set(got) | set(want)):
        if got.get(name) != want.get(name):
            lines.append(f"    {name!r}: got {got.get(name)}, expected {want.get(name)}")
    return "\n".join(lines)


def compare_scottish(case_dir: Path, output: dict[str, Any]) -> None:
    case = Path(case_dir).name
    exp = _load(case_dir)
    assert output.get("winners") == exp["elected_in_order"], (
        f"{case}: winners {output.get('winners')} != expected {exp['elected_in_order']}"
    )
    if "quota" in output:
        assert output["quota"] == f"{exp['quota']}.00000", (
            f"{case}: quota {output['quota']} != expected {exp['quota']}"
        )
    rounds = output.get("rounds", [])
    stages = exp["stages"]
    assert len(rounds) == len(stages), (
        f"{case}: {len(rounds)} rounds, expected {len(stages)} stages"
    )
    for rnd, stage in zip(rounds, stages, strict=True):
        n = stage["stage"]
        assert rnd["round"] == n, f"{case}: round numbered {rnd['round']}, expected stage {n}"
        assert rnd["tally"] == stage["totals"], (
            f"{case}: stage {n} totals differ:\n{_diff(rnd['tally'], stage['totals'])}"
        )
        assert sorted(rnd["elected"]) == sorted(stage["elected_this_stage"]), (
            f"{case}: stage {n} elected {rnd['elected']}, expected {stage['elected_this_stage']}"
        )
        assert rnd["eliminated"] == stage["excluded_after_this_stage"], (
            f"{case}: excluded after stage {n}: {rnd['eliminated']}, "
            f"expected {stage['excluded_after_this_stage']}"
        )
        nt = stage.get("non_transferable", stage.get("non_transferable_derived"))
        if nt is not None:
            assert rnd["exhausted"] == nt, (
                f"{case}: stage {n} non-transferable {rnd['exhausted']}, expected {nt}"
            )


def _meek_reference_rounds(exp: dict[str, Any]) -> list[dict[str, Any]]:
    """Droop's actions grouped by round: the first elect/defeat action's state (the votes at the
    end of the round's iteration), and everyone elected and defeated in the round."""
    ref = exp["droop_reference"]
    names = {cid: c["name"] for cid, c in ref["cdict"].items()}
    by_round: dict[int, dict[str, Any]] = {}
    for action in ref["actions"]:
        if action["tag"] not in ("elect", "defeat"):
            continue
        r = by_round.setdefault(
            action["round"],
            {
                "round": action["round"],
                "votes": {names[k]: v["vote"] for k, v in action["cstate"].items()},
                "kf": {names[k]: v["kf"] for k, v in action["cstate"].items()},
                "quota": action["quota"],
                "elected": [],
                "defeated": [],
            },
        )
        name = action["msg"].split(": ", 1)[1]
        r["elected" if action["tag"] == "elect" else "defeated"].append(name)
    return [by_round[k] for k in sorted(by_round)]


def compare_meek(case_dir: Path, output: dict[str, Any]) -> None:
    case = Path(case_dir).name
    exp = _load(case_dir)
    assert output.get("winners") == exp["elected"], (
        f"{case}: winners {output.get('winners')} != expected {exp['elected']}"
    )
    reference = _meek_reference_rounds(exp)
    rounds = output.get("rounds", [])
    if rounds and "first_preferences" in rounds[0]:
        ref = exp["droop_reference"]
        begin = next(a for a in ref["actions"] if a["tag"] == "begin")
        first = {ref["cdict"][k]["name"]: v["vote"] for k, v in begin["cstate"].items()}
        assert rounds[0]["first_preferences"] == first, (
            f"{case}: first preferences differ:\n{_diff(rounds[0]['first_preferences'], first)}"
        )
    assert len(rounds) == len(reference), (
        f"{case}: {len(rounds)} rounds, the reference has {len(reference)}"
    )
    for rnd, ref in zip(rounds, reference, strict=True):
        n = ref["round"]
        assert rnd["round"] == n, f"{case}: round numbered {rnd['round']}, expected {n}"
        assert rnd["tally"] == ref["votes"], (
            f"{case}: round {n} votes differ:\n{_diff(rnd['tally'], ref['votes'])}"
        )
        if "keep_factors" in rnd:
            assert rnd["keep_factors"] == ref["kf"], (
                f"{case}: round {n} keep factors differ:\n{_diff(rnd['keep_factors'], ref['kf'])}"
            )
        if "threshold" in rnd:
            assert rnd["threshold"] == ref["quota"], (
                f"{case}: round {n} quota {rnd['threshold']}, expected {ref['quota']}"
            )
        assert rnd["elected"] == ref["elected"], (
            f"{case}: round {n} elected {rnd['elected']}, expected {ref['elected']}"
        )
        assert rnd["eliminated"] == ref["defeated"], (
            f"{case}: round {n} defeated {rnd['eliminated']}, expected {ref['defeated']}"
        )
