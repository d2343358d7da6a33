"""The registry of counting methods: name -> ``count(profile, *, seats, seed) -> CountResult``.

The STV and Schulze modules are imported only when used, so that importing this registry stays
cheap (the command line imports it on every ``asamblea count``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from asamblea.counting.ballots import OVERVOTE_LABEL, Profile
from asamblea.counting.result import CountResult

if TYPE_CHECKING:
    from asamblea.counting.irv import IrvOptions


class Method(Protocol):
    def __call__(self, profile: Profile, *, seats: int, seed: int | str | None) -> CountResult: ...


def _lazy(module: str, attr: str = "count") -> Method:
    def run(profile: Profile, *, seats: int, seed: int | str | None) -> CountResult:
        target: Callable[..., CountResult] = getattr(
            importlib.import_module(f"asamblea.counting.{module}"), attr
        )
        return target(profile, seats=seats, seed=seed)

    run.__name__ = f"{module}_{attr}"
    run.__doc__ = f"asamblea.counting.{module}:{attr} (imported on first use)"
    return run


METHODS: dict[str, Method] = {
    "plurality": _lazy("plurality"),
    "approval": _lazy("approval"),
    "irv": _lazy("irv"),
    "stv-scottish": _lazy("stv_scottish"),
    "stv-wigm": _lazy("stv_wigm"),
    "stv-meek": _lazy("stv_meek"),
    "schulze": _lazy("schulze"),
}


def count(
    method: str, profile: Profile, *, seats: int = 1, seed: int | str | None = None
) -> CountResult:
    """Count ``profile`` with the named method (``KeyError`` for an unknown name)."""
    return METHODS[method](profile, seats=seats, seed=seed)


def _fast_when_large(name: str, exact: Method) -> Method:
    """``exact``, except that large profiles the fast path takes are counted there, with the
    same result (``asamblea.counting.fast``, docs/adr/0004-fast-counting.md)."""

    def run(profile: Profile, *, seats: int, seed: int | str | None) -> CountResult:
        from asamblea.counting import fast

        if fast.choose(name, profile, seats=seats):
            return fast.count_fast(name, profile, seats=seats, seed=seed)
        return exact(_grouped_when_few(name, profile, seats, None), seats=seats, seed=seed)

    run.__name__ = getattr(exact, "__name__", name)
    run.__doc__ = exact.__doc__
    return run


METHODS = {name: _fast_when_large(name, method) for name, method in METHODS.items()}


def has_valid_paper(profile: Profile, struck: Iterable[str] = ()) -> bool:
    """Whether some ballot of positive weight marks a candidate still in the count (not
    withdrawn, not in ``struck``). Without one every candidate has zero votes and any winner
    would be drawn by lot: ``asamblea count`` refuses such a contest instead."""
    out = set(profile.withdrawn) | set(struck) | {OVERVOTE_LABEL}
    return any(
        b.count > 0 and any(name not in out for rank in b.ranking for name in rank)
        for b in profile.ballots
    )


def tabulate_rctab(profile: Profile, options: IrvOptions) -> CountResult:
    """``irv.tabulate`` under RCTab rules (every mode), on the fast path when the profile is
    large and the fast path takes it, with the same result."""
    from asamblea.counting import fast, irv

    if fast.choose("irv", profile, rules=options):
        return fast.count_fast("irv", profile, rules=options)
    return irv.tabulate(_grouped_when_few("irv", profile, options.seats, options), options)


def _grouped_when_few(name: str, profile: Profile, seats: int, rules: object) -> Profile:
    """Many ballots of few distinct rankings: the exact path visits each ballot entry every
    round, so it counts them grouped (as ``asamblea count`` does), faster than the fast path.
    Grouping changes no result: the fast path, equal to the exact path, counts grouped rows."""
    from asamblea.counting import fast

    if len(profile.ballots) >= fast.FEW_DISTINCT and fast.takes(
        name, profile, seats=seats, rules=rules
    ):
        return profile.grouped()
    return profile
