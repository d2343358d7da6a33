"""Reading an RCTab contest configuration (``rules.json`` of ``tests/conformance/rctab``) into
:class:`~asamblea.counting.irv.IrvOptions`.

The file holds ``summary`` (our normalised description) and ``rctab_rules``,
``rctab_candidates`` and ``rctab_cvr_file_sources`` (RCTab's own configuration, unchanged). The
options are taken from RCTab's own fields, so that the count follows exactly what RCTab was told;
``summary`` is only used where RCTab's fields are silent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from asamblea.counting import irv
from asamblea.counting.tiebreak import MODES as TIEBREAK_MODES

_ELECTION_MODES = {
    "singleWinnerMajority": irv.IRV,
    "standard": irv.IRV,
    "multiWinnerAllowMultipleWinnersPerRound": irv.STV_FRACTIONAL,
    "multiWinnerAllowOnlyOneWinnerPerRound": irv.STV_ONE_PER_ROUND,
    "bottomsUp": irv.BOTTOMS_UP,
    "bottomsUpUsingPercentageThreshold": irv.BOTTOMS_UP_PERCENTAGE,
    "multiPassIrv": irv.SEQUENTIAL_IRV,
}


class RulesError(ValueError):
    """A rule file that cannot be used (names the field)."""


@dataclass(slots=True)
class ContestRules:
    options: irv.IrvOptions
    candidates: list[str]  # configured order, excluded candidates included
    title: str = ""


def _int_or_none(raw: Any, field: str, *, words: tuple[str, ...] = ()) -> int | None:
    if raw is None or raw == "" or (isinstance(raw, str) and raw.lower() in words):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise RulesError(f"{field}: not an integer: {raw!r}") from None


def _flag(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() == "true"
    return bool(raw)


def load_rules(path: str | Path) -> ContestRules:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RulesError(f"not JSON (line {exc.lineno}): {exc.msg}") from None
    return rules_from_dict(data)


def rules_from_dict(data: dict[str, Any]) -> ContestRules:
    rules = data.get("rctab_rules")
    if not isinstance(rules, dict):
        raise RulesError("rctab_rules: missing")
    summary = data.get("summary") or {}
    raw_candidates = data.get("rctab_candidates") or []
    candidates = [c["name"] for c in raw_candidates]
    excluded = tuple(c["name"] for c in raw_candidates if _flag(c.get("excluded")))
    if not candidates:
        raise RulesError("rctab_candidates: no candidates")
    if not all(isinstance(name, str) and name.strip() for name in candidates):
        raise RulesError("rctab_candidates: empty candidate name")

    mode_raw = rules.get("winnerElectionMode") or summary.get("rctab_winner_election_mode")
    mode = _ELECTION_MODES.get(mode_raw or "")
    if mode is None:
        raise RulesError(f"winnerElectionMode: unknown {mode_raw!r}")
    seats = _int_or_none(rules.get("numberOfWinners"), "numberOfWinners") or 0
    if mode != irv.BOTTOMS_UP_PERCENTAGE and seats < 1:
        raise RulesError("numberOfWinners: must be at least 1")

    overvote = rules.get("overvoteRule", "")
    if overvote not in irv.OVERVOTE_RULES:
        raise RulesError(f"overvoteRule: unknown {overvote!r}")
    tiebreak = rules.get("tiebreakMode", "")
    if tiebreak not in TIEBREAK_MODES:
        raise RulesError(f"tiebreakMode: unknown {tiebreak!r}")
    seed = _int_or_none(rules.get("randomSeed"), "randomSeed")

    uwi = None
    for source in data.get("rctab_cvr_file_sources") or []:
        if source.get("undeclaredWriteInLabel"):
            uwi = irv.UNDECLARED_WRITE_IN
    declared = len(candidates)
    max_rankings = _int_or_none(
        rules.get("maxRankingsAllowed"), "maxRankingsAllowed", words=("max",)
    )
    if max_rankings is None:
        max_rankings = declared
    max_skipped = _int_or_none(
        rules.get("maxSkippedRanksAllowed"), "maxSkippedRanksAllowed", words=("unlimited",)
    )
    percentage = rules.get("multiSeatBottomsUpPercentageThreshold")
    places = _int_or_none(rules.get("decimalPlacesForVoteArithmetic"), "decimalPlaces") or 4
    options = irv.IrvOptions(
        seats=seats,
        mode=mode,
        overvote_rule=overvote,
        max_skipped_ranks=max_skipped,
        max_rankings=max_rankings,
        exhaust_on_duplicate=_flag(rules.get("exhaustOnDuplicateCandidate")),
        batch_elimination=_flag(rules.get("batchElimination")),
        continue_until_two=_flag(rules.get("continueUntilTwoCandidatesRemain")),
        minimum_vote_threshold=_int_or_none(
            rules.get("minimumVoteThreshold"), "minimumVoteThreshold"
        )
        or 0,
        stop_after_round=_int_or_none(
            rules.get("stopTabulationEarlyAfterRound"), "stopTabulationEarlyAfterRound"
        ),
        hare_quota=_flag(rules.get("hareQuota")),
        non_integer_threshold=_flag(rules.get("nonIntegerWinningThreshold")),
        first_round_determines_threshold=_flag(rules.get("doesFirstRoundDetermineThreshold")),
        bottoms_up_percentage=Fraction(str(percentage)) / 100
        if percentage not in (None, "")
        else None,
        cutoff_elimination=_flag(rules.get("cutoffElimination")),
        places=places,
        tiebreak_mode=tiebreak,
        seed=seed,
        excluded=excluded,
        undeclared_write_in=uwi,
    )
    if mode == irv.BOTTOMS_UP_PERCENTAGE and options.bottoms_up_percentage is None:
        raise RulesError("multiSeatBottomsUpPercentageThreshold: missing")
    title = (data.get("rctab_output_settings") or {}).get("contestName", "")
    return ContestRules(options=options, candidates=candidates, title=title)
