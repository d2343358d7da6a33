"""pref_voting (https://github.com/voting-tools/pref_voting) counting the bench profiles.

- IRV: ``instant_runoff`` on a ``ProfileWithTies`` (eliminates the fewest first preferences
  among the candidates left until one remains: the same winner as stopping at a majority of
  continuing votes; it is faster than ``instant_runoff_for_truncated_linear_orders``, which copies
  the profile every round).
- 3-seat Scottish STV: ``stv_scottish`` (SSI 2007/42 in floating point with 5-decimal truncation).
- Meek: ``stv_meek`` (floating point, tolerance 1e-10; not the 9-decimal fixed point we follow).
- Schulze: ``beat_path`` with extended strict preference (a ranked candidate beats an unranked
  one) and winning votes as the strength of a link (``strength_function=profile.support``), which
  is how our Schulze reads a truncated ballot and measures a link; pref_voting's default, margins,
  is a different variant on truncated ballots.
"""

from __future__ import annotations

# Imported at module level so that import time stays outside the timed region.
import random
from collections.abc import Callable

import numpy as np
from pref_voting.iterative_methods import instant_runoff
from pref_voting.margin_based_methods import beat_path
from pref_voting.profiles_with_ties import ProfileWithTies
from pref_voting.proportional_methods import stv_meek
from pref_voting.proportional_methods import stv_scottish as pv_stv_scottish

from . import distinct_rankings

NAME = "pref_voting"


def _profile(array: np.ndarray, n_candidates: int):  # type: ignore[no-untyped-def]
    rankings, counts = distinct_rankings(array)
    dicts = [{c: r + 1 for r, c in enumerate(ranking)} for ranking in rankings]
    return ProfileWithTies(dicts, rcounts=counts, candidates=list(range(n_candidates)))


def irv(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    return list(instant_runoff(_profile(array, n_candidates)))


def stv_scottish(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    return list(
        pv_stv_scottish(_profile(array, n_candidates), num_seats=seats, rng=random.Random(0))
    )


def meek(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    return list(stv_meek(_profile(array, n_candidates), num_seats=seats))


def schulze(array: np.ndarray, n_candidates: int, seats: int) -> list[int]:
    profile = _profile(array, n_candidates)
    profile.use_extended_strict_preference()
    # Winning votes, as ours: a link's strength is the support of the majority.
    return list(beat_path(profile, strength_function=profile.support))


METHODS: dict[str, Callable[[np.ndarray, int, int], list[int]] | str] = {
    "irv": irv,
    "stv_scottish": stv_scottish,
    "meek": meek,
    "schulze": schulze,
}
