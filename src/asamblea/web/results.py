"""A count's result as people read it: round-by-round tables and server-drawn bar charts.

In the manner of rcvis (the ranked-choice result visualiser): each round lists the candidates
still counted with their votes, the change since the previous round (what was transferred in or
out), the exhausted ballots and the threshold, and who was elected or excluded; a bar chart draws
the same numbers. The charts are SVG written here (no JavaScript); each carries a text alternative
and the table beside it is the full textual form.

Values come from the stored result (``counting.result.CountResult.to_json``): decimal strings with
the method's stated places, already truncated as the rules truncate; nothing here rounds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

BAR_WIDTH = 300  # the chart's drawing width, in the SVG's own units
ROW = 34  # height of one candidate's row: the name above, the bar below
LABEL_GAP = 14
ANSWER_ORDER = ("yes", "for", "no", "against", "abstain", "free")


@dataclass
class Line:
    key: str
    name: str
    votes: Decimal
    change: Decimal | None
    status: str  # "elected", "excluded", "" (continuing)


@dataclass
class RoundView:
    number: int
    lines: list[Line]
    exhausted: Decimal
    exhausted_change: Decimal | None
    threshold: Decimal | None
    action: str
    elected: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value is not None else 0))
    except InvalidOperation:
        return Decimal(0)


def rounds(result: dict[str, Any], names: dict[str, str]) -> list[RoundView]:
    """The rounds of an engine count (empty for yes/no and instruction votes)."""
    raw = result.get("rounds") or []
    out: list[RoundView] = []
    previous: dict[str, Decimal] = {}
    previous_exhausted: Decimal | None = None
    for index, rnd in enumerate(raw):
        tally = {k: _dec(v) for k, v in (rnd.get("tally") or {}).items()}
        elected = list(rnd.get("elected") or [])
        excluded = list(rnd.get("eliminated") or [])
        lines = [
            Line(
                key=k,
                name=names.get(k, k),
                votes=v,
                change=(v - previous[k]) if index and k in previous else None,
                status="elected" if k in elected else "excluded" if k in excluded else "",
            )
            for k, v in sorted(tally.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0])))
        ]
        exhausted = _dec(rnd.get("exhausted"))
        threshold = _dec(rnd["threshold"]) if rnd.get("threshold") is not None else None
        view = RoundView(
            number=int(rnd.get("round") or index + 1),
            lines=lines,
            exhausted=exhausted,
            exhausted_change=(exhausted - previous_exhausted)
            if previous_exhausted is not None
            else None,
            threshold=threshold,
            action=str(rnd.get("action") or ""),
            elected=[names.get(k, k) for k in elected],
            excluded=[names.get(k, k) for k in excluded],
            transfers=[
                {
                    "from": names.get(t.get("from", ""), t.get("from", "")),
                    "kind": t.get("kind", ""),
                    "moved": [
                        (names.get(k, k) if k != "exhausted" else "", k == "exhausted", _dec(v))
                        for k, v in (t.get("moved") or {}).items()
                    ],
                }
                for t in rnd.get("transfers") or []
            ],
        )
        out.append(view)
        previous, previous_exhausted = tally, exhausted
    scale = max(
        [line.votes for r in out for line in r.lines]
        + [r.threshold for r in out if r.threshold is not None]
        + [Decimal(1)]
    )
    for view in out:
        view.chart = chart(view, scale)
    return out


def chart(view: RoundView, scale: Decimal) -> dict[str, Any]:
    """Coordinates of one round's bar chart: a row per candidate, the threshold as a line."""
    bars = []
    for i, line in enumerate(view.lines):
        top = i * ROW
        width = int((line.votes / scale) * BAR_WIDTH) if scale else 0
        bars.append(
            {
                "name": line.name,
                "votes": line.votes,
                "status": line.status or "continuing",
                "text_y": top + LABEL_GAP,
                "bar_y": top + LABEL_GAP + 4,
                "width": max(width, 1 if line.votes > 0 else 0),
            }
        )
    height = max(len(view.lines) * ROW, ROW)
    threshold_x = (
        int((view.threshold / scale) * BAR_WIDTH) if view.threshold is not None and scale else None
    )
    return {
        "bars": bars,
        "height": height,
        "width": BAR_WIDTH + 20,
        "threshold_x": threshold_x,
    }


def yes_no(result: dict[str, Any]) -> dict[str, Any]:
    """The bars of a yes/no (recall) or instruction vote's tally, in the tally's order."""
    # In the ballot's order, whatever order the stored JSON keeps its keys in.
    tally = dict(
        sorted(
            (result.get("tally") or {}).items(),
            key=lambda kv: ANSWER_ORDER.index(kv[0]) if kv[0] in ANSWER_ORDER else 99,
        )
    )
    total = max([_dec(v) for v in tally.values()] + [Decimal(1)])
    bars = [
        {
            "key": k,
            "votes": _dec(v),
            "width": int(_dec(v) / total * BAR_WIDTH),
            "text_y": i * ROW + LABEL_GAP,
            "bar_y": i * ROW + LABEL_GAP + 4,
        }
        for i, (k, v) in enumerate(tally.items())
    ]
    return {"bars": bars, "height": max(len(bars), 1) * ROW, "width": BAR_WIDTH + 20}
