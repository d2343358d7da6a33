"""The result of a count and its round-by-round explanation, as data, JSON and a readable table.

JSON shape (``asamblea count --json``)::

    {"method": ..., "seats": n, "winners": [...in order of election],
     "rounds": [{"round": n, "tally": {name: "decimal string"}, "elected": [...],
                 "eliminated": [...], "exhausted": "decimal string", ...}], ...}

Tally values are written with the method's stated number of decimal places (``places``): 4 for
RCTab rules, 5 for Scottish STV, 9 for Meek, 0 for whole-vote methods. Values are exact
(``Fraction`` or ``int``) until they are written; writing truncates toward zero, the way the
statutes truncate, and never rounds up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

Number = int | Fraction | Decimal


def format_value(value: Number, places: int) -> str:
    """Exact decimal string with ``places`` digits after the point, truncated toward zero."""
    frac = Fraction(value) if not isinstance(value, Fraction) else value
    scale = 10**places
    scaled = (
        frac.numerator * scale // frac.denominator
        if frac >= 0
        else -((-frac.numerator) * scale // frac.denominator)
    )
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    if places == 0:
        return f"{sign}{scaled}"
    whole, part = divmod(scaled, scale)
    return f"{sign}{whole}.{part:0{places}d}"


@dataclass(slots=True)
class Draw:
    """A tie broken by lot: who was tied, for what, and who the lot chose."""

    purpose: str  # "elimination", "election", "order"
    tied: list[str]
    chosen: str
    how: str  # e.g. "random(seed=0)", "candidate order", "previous round counts"


@dataclass(slots=True)
class Transfer:
    source: str  # the elected or excluded candidate whose votes move
    kind: str  # "surplus" or "exclusion"
    value: Number | None  # transfer value (surplus fraction), when one applies
    moved: dict[str, Number] = field(default_factory=dict)  # to candidate or "exhausted"


@dataclass(slots=True)
class Round:
    round: int
    tally: dict[str, Number]
    elected: list[str] = field(default_factory=list)
    eliminated: list[str] = field(default_factory=list)
    exhausted: Number = 0
    # Inactive ballots by reason (e.g. "overvotes", "skipped_rankings", "repeated_rankings",
    # "exhausted_choices"), as the method defines them.
    inactive: dict[str, Number] = field(default_factory=dict)
    threshold: Number | None = None
    transfers: list[Transfer] = field(default_factory=list)
    draws: list[Draw] = field(default_factory=list)
    action: str = ""  # "first_preferences", "surplus of X", "exclusion of X"...
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CountResult:
    method: str
    seats: int
    winners: list[str]
    rounds: list[Round]
    places: int = 0
    quota: Number | None = None
    seed: str | int | None = None
    rules: dict[str, Any] = field(default_factory=dict)
    # Sequential IRV: one result per pass.
    passes: list[CountResult] | None = None
    candidates: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        p = self.places

        def v(x: Number | None) -> str | None:
            return None if x is None else format_value(x, p)

        out: dict[str, Any] = {
            "method": self.method,
            "seats": self.seats,
            "winners": list(self.winners),
            "rounds": [self._round_json(r, v) for r in self.rounds],
            "places": p,
        }
        if self.quota is not None:
            out["quota"] = v(self.quota)
        if self.seed is not None:
            out["seed"] = self.seed
        if self.rules:
            out["rules"] = self.rules
        if self.passes is not None:
            out["passes"] = [
                {"winners": list(ps.winners), "rounds": [self._round_json(r, v) for r in ps.rounds]}
                for ps in self.passes
            ]
        return out

    @staticmethod
    def _round_json(r: Round, v: Any) -> dict[str, Any]:
        d: dict[str, Any] = {
            "round": r.round,
            "tally": {name: v(x) for name, x in r.tally.items()},
            "elected": list(r.elected),
            "eliminated": list(r.eliminated),
            "exhausted": v(r.exhausted),
        }
        if r.action:
            d["action"] = r.action
        if r.threshold is not None:
            d["threshold"] = v(r.threshold)
        if r.inactive:
            d["inactive"] = {k: v(x) for k, x in r.inactive.items()}
        if r.transfers:
            d["transfers"] = [
                {
                    "from": t.source,
                    "kind": t.kind,
                    "value": None if t.value is None else str(t.value),
                    "moved": {k: v(x) for k, x in t.moved.items()},
                }
                for t in r.transfers
            ]
        if r.draws:
            d["draws"] = [
                {"purpose": dr.purpose, "tied": dr.tied, "chosen": dr.chosen, "how": dr.how}
                for dr in r.draws
            ]
        if r.extra:
            d.update(r.extra)
        return d

    def table(self) -> str:
        """A readable round table: one row per candidate, one column per round."""
        names: list[str] = []
        for r in self.rounds:
            for n in r.tally:
                if n not in names:
                    names.append(n)
        header = ["candidate"] + [f"round {r.round}" for r in self.rounds]
        rows = [header]
        for n in names:
            rows.append(
                [n]
                + [
                    format_value(r.tally[n], self.places) if n in r.tally else ""
                    for r in self.rounds
                ]
            )
        rows.append(["exhausted"] + [format_value(r.exhausted, self.places) for r in self.rounds])
        if any(r.threshold is not None for r in self.rounds):
            rows.append(
                ["threshold"]
                + [
                    "" if r.threshold is None else format_value(r.threshold, self.places)
                    for r in self.rounds
                ]
            )
        rows.append(["elected"] + [", ".join(r.elected) for r in self.rounds])
        rows.append(["eliminated"] + [", ".join(r.eliminated) for r in self.rounds])
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        for r in self.rounds:
            for dr in r.draws:
                lines.append(
                    f"round {r.round}: tie for {dr.purpose} between {', '.join(dr.tied)};"
                    f" {dr.how} chose {dr.chosen}"
                )
        lines.append("winners: " + ", ".join(self.winners))
        return "\n".join(lines)
