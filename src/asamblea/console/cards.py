"""Voting cards as a printable PDF: one card per member, name, number and single-use code.

The codes come from an approved reissue (:mod:`asamblea.elections.actions.credentials`), handed
to its proposer once; the PDF is built in memory and never stored. Its count is on the public
record already (``credentials_reissued``), never whose cards they are.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from asamblea.elections.models import Election
from asamblea.elections.secrecy import format_code
from asamblea.registry.models import Member

# The same Unicode font as the minutes, so names in Quechua, Aymara or Spanish print whole.
_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def cards_pdf(election: Election, codes: dict[int, str]) -> bytes:
    from fpdf import FPDF

    members = {m.pk: m for m in Member.objects.filter(pk__in=list(codes))}
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"{_('Voting cards')}: {election.title}")
    font = next((f for f in _FONTS if f.exists()), None)
    family = "helvetica"
    if font is not None:
        pdf.add_font("card", "", str(font))
        family = "card"

    def text(value: str) -> str:
        return value if font is not None else value.encode("latin-1", "replace").decode("latin-1")

    # Two columns of five cards per page, each with a cut line around it.
    width, height, left, top = 95.0, 54.0, 10.0, 12.0
    ordered = sorted(codes, key=lambda pk: members[pk].member_ref)
    for i, pk in enumerate(ordered):
        if i % 10 == 0:
            pdf.add_page()
        col, row = (i % 10) % 2, (i % 10) // 2
        x, y = left + col * width, top + row * height
        pdf.set_draw_color(150, 150, 150)
        pdf.rect(x, y, width - 2, height - 2)
        member = members[pk]
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font(family, size=9)
        pdf.multi_cell(width - 10, 4.5, text(election.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(x + 4, y + 16)
        pdf.set_font(family, size=11)
        pdf.cell(width - 10, 6, text(f"{member.display_name} · {member.member_ref}"))
        pdf.set_xy(x + 4, y + 26)
        pdf.set_font(family, size=14)
        pdf.cell(width - 10, 8, format_code(codes[pk]))
        pdf.set_xy(x + 4, y + 38)
        pdf.set_font(family, size=8)
        pdf.multi_cell(
            width - 10,
            3.8,
            text(
                _("Vote at /elections/%(id)s/vote/ with this single-use code. Keep it secret.")
                % {"id": election.pk}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if not ordered:
        pdf.add_page()
        pdf.set_font(family, size=12)
        pdf.cell(0, 10, text(_("No card: every member has voted or has an e-mail address.")))
    return bytes(pdf.output())
