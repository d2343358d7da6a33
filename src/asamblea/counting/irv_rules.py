"""The rules of the RCTab family that :mod:`asamblea.counting.irv` counts by: its methods, the
options (each named after the RCTab setting it implements), the reasons a ballot becomes
inactive, and RCTab's truncated arithmetic.

Rules followed: the Ranked Choice Voting Tabulator (RCTab, Bright Spots, version 2.0) as documented
in its ``config_file_documentation.txt``. Each option below names the RCTab rule it implements:

- ``overvote_rule`` (``overvoteRule``): ``exhaustImmediately``, ``alwaysSkipToNextRank``,
  ``exhaustIfMultipleContinuing``; an overvote recorded only as a label (``#overvote``) exhausts
  or is skipped.
- ``max_skipped_ranks`` (``maxSkippedRanksAllowed``): a ballot becomes inactive when more than
  this many consecutive ranks are skipped before its next mark; ``None`` is unlimited.
- ``max_rankings`` (``maxRankingsAllowed``): ranks beyond it are not read. A ballot with no
  marks at all is an undervote; one that runs out of continuing candidates is exhausted.
- ``exhaust_on_duplicate`` (``exhaustOnDuplicateCandidate``).
- ``batch_elimination``: every candidate who cannot overtake the next-lowest even with all the
  votes of those below is eliminated at once.
- ``continue_until_two`` (``continueUntilTwoCandidatesRemain``): the winner stays on the count.
- ``minimum_vote_threshold``: all candidates below it are eliminated first.
- ``stop_after_round`` (``stopTabulationEarlyAfterRound``).

The round loop that applies them (thresholds, surplus transfers, eliminations, sequential passes)
is in :mod:`asamblea.counting.irv`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from asamblea.counting.tiebreak import LOT

# Votes are exact: whole numbers or fractions, never floats (nor Decimal, to keep one type).
Number = int | Fraction

UNDECLARED_WRITE_IN = "Undeclared Write-ins"

# Methods (the ``method`` names of tests/conformance/rctab/*/rules.json ``summary``).
IRV = "irv"
STV_FRACTIONAL = "stv_fractional"
STV_ONE_PER_ROUND = "stv_fractional_one_winner_per_round"
BOTTOMS_UP = "bottoms_up"
BOTTOMS_UP_PERCENTAGE = "bottoms_up_percentage_threshold"
SEQUENTIAL_IRV = "sequential_irv"
MODES = (IRV, STV_FRACTIONAL, STV_ONE_PER_ROUND, BOTTOMS_UP, BOTTOMS_UP_PERCENTAGE, SEQUENTIAL_IRV)

EXHAUST_IMMEDIATELY = "exhaustImmediately"
ALWAYS_SKIP = "alwaysSkipToNextRank"
EXHAUST_IF_MULTIPLE = "exhaustIfMultipleContinuing"
OVERVOTE_RULES = (EXHAUST_IMMEDIATELY, ALWAYS_SKIP, EXHAUST_IF_MULTIPLE)

# Reasons a ballot is inactive (keys of Round.inactive).
UNDERVOTE = "undervotes"
OVERVOTE = "overvotes"
SKIPPED = "skipped_rankings"
REPEATED = "repeated_rankings"
EXHAUSTED = "exhausted_choices"
FINAL_SURPLUS = "final_round_surplus"
REPORTED_REASONS = (EXHAUSTED, OVERVOTE, SKIPPED, REPEATED)


class CountError(ValueError):
    """The rules cannot produce a result (bad configuration or a tie left to a person)."""


@dataclass(slots=True)
class IrvOptions:
    seats: int = 1
    mode: str = IRV
    overvote_rule: str = ALWAYS_SKIP
    max_skipped_ranks: int | None = None
    max_rankings: int | None = None
    exhaust_on_duplicate: bool = False
    batch_elimination: bool = False
    continue_until_two: bool = False
    minimum_vote_threshold: Number = 0
    stop_after_round: int | None = None
    hare_quota: bool = False
    non_integer_threshold: bool = False
    first_round_determines_threshold: bool = False
    bottoms_up_percentage: Fraction | None = None  # 0.15 for 15%
    # Bottoms-up with a percentage: eliminate everyone under the threshold at once.
    cutoff_elimination: bool = False
    places: int = 4
    tiebreak_mode: str = LOT
    seed: int | str | None = None
    # Candidates on the paper but out of the count (RCTab "excluded", BLT withdrawn).
    excluded: tuple[str, ...] = ()
    # Name of the undeclared write-in pseudo-candidate when the contest has one.
    undeclared_write_in: str | None = None
    # Order for useCandidateOrder / generatePermutation (default: the paper's order).
    tiebreak_order: tuple[str, ...] | None = None


def _trunc(value: Number, places: int) -> Number:
    """Truncate toward zero to ``places`` decimals (values here are never negative)."""
    if isinstance(value, int):
        return value
    scale = 10**places
    frac = Fraction(value)
    out = Fraction(math.floor(frac * scale), scale)
    return out.numerator if out.denominator == 1 else out


def _norm(value: Number) -> Number:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


def rules_summary(options: IrvOptions) -> dict[str, object]:
    out: dict[str, object] = {
        "method": options.mode,
        "overvote_rule": options.overvote_rule,
        "max_skipped_ranks": options.max_skipped_ranks,
        "max_rankings": options.max_rankings,
        "tiebreak": options.tiebreak_mode,
        "decimal_places_for_vote_arithmetic": options.places,
    }
    for name in (
        "exhaust_on_duplicate",
        "batch_elimination",
        "continue_until_two",
        "hare_quota",
        "non_integer_threshold",
        "first_round_determines_threshold",
    ):
        if getattr(options, name):
            out[name] = True
    if options.minimum_vote_threshold:
        out["minimum_vote_threshold"] = str(options.minimum_vote_threshold)
    if options.stop_after_round is not None:
        out["stop_after_round"] = options.stop_after_round
    if options.bottoms_up_percentage is not None:
        out["bottoms_up_percentage"] = str(options.bottoms_up_percentage)
    if options.excluded:
        out["excluded"] = list(options.excluded)
    return out
