"""A session's minutes: attendance, motions, instructions, divisions with every name, deviations.

Two forms of the same rows: CSV (one table, a ``section`` column says what each row is) and PDF
(fpdf2, with a Unicode TrueType font embedded so that names in Quechua, Aymara or Spanish keep
their letters). The font is DejaVu Sans from Debian's ``fonts-dejavu-core`` unless
``ASAMBLEA_PDF_FONT`` names another TTF; without any TTF the PDF falls back to a core font and
letters outside Latin-1 are replaced (said in docs/assemblies.md).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asamblea.assemblies import actions
from asamblea.assemblies.models import Attendance, DelegateVote, Instruction, Motion, Session
from asamblea.core.csvsafe import SafeWriter

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
)

CSV_HEADER = [
    "section",
    "motion",
    "unit",
    "seat",
    "name",
    "choice",
    "weight",
    "instructed",
    "deviation",
    "detail",
]


def _font_path() -> Path | None:
    configured = os.environ.get("ASAMBLEA_PDF_FONT")
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _rows(session: Session) -> Iterator[list[Any]]:
    """Every row of the minutes, in order: the CSV writes them, the PDF lays them out."""
    body = session.body
    yield [
        "session",
        "",
        body.name,
        "",
        session.title,
        "",
        "",
        "",
        "",
        f"{session.get_status_display()}; scheduled {session.scheduled_at:%Y-%m-%d %H:%M} UTC"
        + (f"; opened {session.opened_at:%Y-%m-%d %H:%M} UTC" if session.opened_at else "")
        + (f"; closed {session.closed_at:%Y-%m-%d %H:%M} UTC" if session.closed_at else ""),
    ]
    for item in session.agenda_items:
        yield ["agenda", "", "", "", "", "", "", "", "", item]
    attendance = (
        Attendance.objects.filter(session=session)
        .select_related("member", "seat__unit")
        .order_by("seat__unit__name", "seat__number", "arrived_at")
    )
    for a in attendance:
        detail = f"arrived {a.arrived_at:%H:%M:%S}" + (
            f", left {a.left_at:%H:%M:%S}" if a.left_at else ""
        )
        if a.standing_in_id:
            detail += "; alternate standing in"
        yield [
            "attendance",
            "",
            a.seat.unit.name,
            a.seat.number,
            a.member.display_name,
            "",
            "",
            "",
            "",
            detail,
        ]
    motions = Motion.objects.filter(session=session).select_related("division", "amends")
    instructions: dict[int, list[Instruction]] = {}
    for ins in Instruction.objects.filter(motion__session=session).select_related("unit"):
        instructions.setdefault(ins.motion_id, []).append(ins)
    for m in motions.order_by("number"):
        threshold = m.get_threshold_display()
        if m.threshold == Motion.Threshold.QUALIFIED:
            threshold += f" ({m.threshold_num}/{m.threshold_den})"
        amends = f"; amends motion {m.amends.number}" if m.amends else ""
        yield [
            "motion",
            m.number,
            "",
            "",
            m.proposer_name,
            "",
            "",
            "",
            "",
            f"{m.title}: {m.text} [{threshold}; {m.get_status_display()}{amends}]",
        ]
        for ins in instructions.get(m.pk, []):
            counts = ", ".join(f"{k} {v}" for k, v in ins.counts().items())
            yield [
                "instruction",
                m.number,
                ins.unit.name,
                "",
                "",
                "",
                "",
                ins.result or "(open)",
                "",
                f"{ins.method}; {counts}",
            ]
        division = getattr(m, "division", None) if hasattr(m, "division") else None
        if division is None:
            continue
        votes = (
            DelegateVote.objects.filter(division=division)
            .select_related("instruction")
            .order_by("unit_name", "member_name", "seat_id")
        )
        for v in votes:
            yield [
                "vote",
                m.number,
                v.unit_name,
                v.seat_id,
                v.member_name + (" (alternate)" if v.is_alternate else ""),
                v.choice,
                str(v.weight),
                v.instruction.result if v.instruction else "",
                "yes" if v.is_deviation else "",
                "",
            ]
        if division.status == division.Status.CLOSED:
            totals = division.totals
            yield [
                "division",
                m.number,
                "",
                "",
                "",
                "adopted" if division.is_adopted else "rejected",
                "",
                "",
                "",
                f"for {totals.get('for')}, against {totals.get('against')}, abstain "
                f"{totals.get('abstain')}; {division.explanation}",
            ]
        else:
            live = actions.live_tally(division)["totals"]
            yield [
                "division",
                m.number,
                "",
                "",
                "",
                "open",
                "",
                "",
                "",
                ", ".join(f"{k} {v}" for k, v in live.items()),
            ]


def minutes_csv(session: Session) -> str:
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in _rows(session):
        writer.writerow(row)
    return out.getvalue()


def minutes_pdf(session: Session) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(f"Minutes: {session.title}")
    font = _font_path()
    if font is not None:
        pdf.add_font("body", "", str(font))
        family = "body"

        def text(s: Any) -> str:
            return str(s)

    else:  # pragma: no cover - only on a machine without any TrueType font
        family = "Helvetica"

        def text(s: Any) -> str:
            return str(s).encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(s: Any, size: int = 9, height: float = 5) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(width, height, text(s), new_x="LMARGIN", new_y="NEXT")

    for row in _rows(session):
        section, motion, unit, seat, name, choice, weight, instructed, deviation, detail = row
        if section == "session":
            line(f"Minutes: {name}", size=15, height=8)
            line(f"{unit}. {detail}")
        elif section == "agenda":
            line(f"Agenda: {detail}")
        elif section == "attendance":
            line(f"Present: {name} ({unit}, seat {seat}); {detail}", size=8, height=4.2)
        elif section == "motion":
            pdf.ln(2)
            line(f"Motion {motion}, proposed by {name}", size=11, height=6)
            line(detail)
        elif section == "instruction":
            line(f"Instruction of {unit}: {instructed} ({detail})")
        elif section == "vote":
            flag = f"; instructed {instructed}" if instructed else ""
            flag += " — DEVIATION" if deviation else ""
            line(f"{name} ({unit}): {choice}, weight {weight}{flag}", size=8, height=4.2)
        elif section == "division":
            line(f"Result of motion {motion}: {choice}. {detail}", size=10, height=5.5)
    return bytes(pdf.output())
