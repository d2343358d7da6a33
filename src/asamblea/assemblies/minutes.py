"""A session's minutes: attendance, motions, instructions, divisions with every name, deviations.

Two forms of the same rows: CSV (one table, a ``section`` column says what each row is) and PDF
(fpdf2, with a Unicode TrueType font embedded so that names in Quechua, Aymara or Spanish keep
their letters). The font is DejaVu Sans from Debian's ``fonts-dejavu-core`` unless
``ASAMBLEA_PDF_FONT`` names another TTF; without any TTF the PDF falls back to a core font and
letters outside Latin-1 are replaced (said in docs/assemblies.md).

Both are written in the session's language (:func:`language_of`: the organisation's ``language``
setting, else the site's default, Spanish), or in the language asked for: headers, sections,
choices and sentences are translated, names and texts are as entered, times are in the
organisation's time zone with the zone named, and weights are exact (``1300/3``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from asamblea.assemblies import actions, presentation
from asamblea.assemblies.models import Attendance, DelegateVote, Instruction, Motion, Session
from asamblea.core.csvsafe import SafeWriter

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
)


def csv_header() -> list[str]:
    return [
        _("section"),
        _("motion"),
        _("unit"),
        _("seat"),
        _("name"),
        _("choice"),
        _("weight"),
        _("instructed"),
        _("deviation"),
        _("detail"),
    ]


def language_of(session: Session) -> str:
    """The session's language: its organisation's language, else the site's (Spanish)."""
    known = {code for code, _name in settings.LANGUAGES}
    organisation = session.body.organisation
    chosen = getattr(organisation, "language", "") or (organisation.settings or {}).get(
        "language", ""
    )
    return chosen if chosen in known else settings.LANGUAGE_CODE


def _when(value: Any, session: Session, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(presentation.zone_of(session.body.organisation)).strftime(pattern)


def _rows(session: Session) -> Iterator[list[Any]]:
    """Every row of the minutes, in order: the CSV writes them, the PDF lays them out.

    The first column is the section (translated); rows are built in the active language."""
    body = session.body
    zone = str(presentation.zone_of(body.organisation))
    detail = _("%(status)s; scheduled %(at)s") % {
        "status": presentation.status_label(session.status),
        "at": _when(session.scheduled_at, session),
    }
    if session.opened_at:
        detail += "; " + _("opened %(at)s") % {"at": _when(session.opened_at, session)}
    if session.closed_at:
        detail += "; " + _("closed %(at)s") % {"at": _when(session.closed_at, session)}
    detail += f" ({zone})"
    yield [_("session"), "", body.name, "", session.title, "", "", "", "", detail]
    for item in session.agenda_items:
        yield [_("agenda"), "", "", "", "", "", "", "", "", item]
    attendance = (
        Attendance.objects.filter(session=session)
        .select_related("member", "seat__unit")
        .order_by("seat__unit__name", "seat__number", "arrived_at")
    )
    for a in attendance:
        line = _("arrived %(at)s") % {"at": _when(a.arrived_at, session, "%H:%M:%S")}
        if a.left_at:
            line += ", " + _("left %(at)s") % {"at": _when(a.left_at, session, "%H:%M:%S")}
        if a.standing_in_id:
            line += "; " + _("alternate standing in")
        yield [
            _("attendance"),
            "",
            a.seat.unit.name,
            a.seat.number,
            a.member.display_name,
            "",
            "",
            "",
            "",
            line,
        ]
    motions = Motion.objects.filter(session=session).select_related("division", "amends")
    instructions: dict[int, list[Instruction]] = {}
    for ins in Instruction.objects.filter(motion__session=session).select_related("unit"):
        instructions.setdefault(ins.motion_id, []).append(ins)
    for m in motions.order_by("number"):
        amends = "; " + _("amends motion %(n)s") % {"n": m.amends.number} if m.amends else ""
        status = presentation.status_label(m.status)
        yield [
            _("motion"),
            m.number,
            "",
            "",
            m.proposer_name,
            "",
            "",
            "",
            "",
            f"{m.title}: {m.text} [{presentation.threshold_label(m)}; {status}{amends}]",
        ]
        for ins in instructions.get(m.pk, []):
            counts = ", ".join(
                f"{presentation.choice_label(k)} {v}" for k, v in ins.counts().items()
            )
            yield [
                _("instruction"),
                m.number,
                ins.unit.name,
                "",
                "",
                "",
                "",
                presentation.choice_label(ins.result) if ins.result else _("(open)"),
                "",
                counts,
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
                _("vote"),
                m.number,
                v.unit_name,
                v.seat_id,
                v.member_name + (" (" + _("alternate") + ")" if v.is_alternate else ""),
                presentation.choice_label(v.choice),
                str(v.weight),
                presentation.choice_label(v.instruction.result) if v.instruction else "",
                _("yes") if v.is_deviation else "",
                "",
            ]
        if division.status == division.Status.CLOSED:
            totals = division.totals
            quorum = _("quorate") if division.is_quorate else _("not quorate")
            yield [
                _("division"),
                m.number,
                "",
                "",
                "",
                _("adopted") if division.is_adopted else _("rejected"),
                "",
                "",
                "",
                _(
                    "for %(for)s, against %(against)s, abstain %(abstain)s; present %(present)s"
                    " of %(seats)s seats; %(quorum)s"
                )
                % {
                    "for": totals.get("for"),
                    "against": totals.get("against"),
                    "abstain": totals.get("abstain"),
                    "present": totals.get("seats_present"),
                    "seats": division.rule.get("seats"),
                    "quorum": quorum,
                },
            ]
        else:
            live = actions.live_tally(division)["totals"]
            yield [
                _("division"),
                m.number,
                "",
                "",
                "",
                _("open"),
                "",
                "",
                "",
                ", ".join(f"{presentation.choice_label(k)} {v}" for k, v in live.items()),
            ]


def _font_path() -> Path | None:
    configured = os.environ.get("ASAMBLEA_PDF_FONT")
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def minutes_csv(session: Session, *, language: str | None = None) -> str:
    with translation.override(language or language_of(session)):
        out = io.StringIO()
        writer = SafeWriter(out, lineterminator="\n")
        writer.writerow(csv_header())
        for row in _rows(session):
            writer.writerow(row)
        return out.getvalue()


def minutes_pdf(session: Session, *, language: str | None = None) -> bytes:
    with translation.override(language or language_of(session)):
        return _pdf(session)


def _pdf(session: Session) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_("Minutes: %(title)s") % {"title": session.title})
    pdf.set_lang(translation.get_language() or settings.LANGUAGE_CODE)
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

    small = {"size": 8, "height": 4.2}
    for row in _rows(session):
        _section, motion, unit, seat, name, choice, weight, instructed, deviation, detail = row
        kind = row[0]
        if kind == _("session"):
            line(_("Minutes: %(title)s") % {"title": name}, size=15, height=8)
            line(f"{unit}. {detail}")
        elif kind == _("agenda"):
            line(_("Agenda: %(item)s") % {"item": detail})
        elif kind == _("attendance"):
            words = {"name": name, "unit": unit, "seat": seat, "detail": detail}
            line(_("Present: %(name)s (%(unit)s, seat %(seat)s); %(detail)s") % words, **small)
        elif kind == _("motion"):
            pdf.ln(2)
            line(
                _("Motion %(n)s, proposed by %(name)s") % {"n": motion, "name": name},
                size=11,
                height=6,
            )
            line(detail)
        elif kind == _("instruction"):
            words = {"unit": unit, "result": instructed, "detail": detail}
            line(_("Instruction of %(unit)s: %(result)s (%(detail)s)") % words)
        elif kind == _("vote"):
            flag = "; " + _("instructed %(i)s") % {"i": instructed} if instructed else ""
            flag += " — " + _("DEVIATION") if deviation else ""
            words = {"name": name, "unit": unit, "choice": choice, "weight": weight}
            line(_("%(name)s (%(unit)s): %(choice)s, weight %(weight)s") % words + flag, **small)
        elif kind == _("division"):
            words = {"n": motion, "outcome": choice, "detail": detail}
            line(
                _("Result of motion %(n)s: %(outcome)s. %(detail)s") % words,
                size=10,
                height=5.5,
            )
    return bytes(pdf.output())
