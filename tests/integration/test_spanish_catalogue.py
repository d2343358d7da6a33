"""Issue 17, item 6: the Spanish catalogue is complete and the shipped .mo is compiled from it.

Every message of ``locale/es/LC_MESSAGES/django.po`` has a translation and none is fuzzy (a
fuzzy message is not compiled, so the page shows English), every placeholder of the source is kept,
and the .mo that Django reads says exactly what the .po says. Regenerate with
``makemessages -l es -l en --no-location --no-obsolete`` from ``src/asamblea``, translate, then
``msgfmt --check -o django.mo django.po``.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

ES = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


@dataclass
class Message:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.msgctxt}|{self.msgid}" if self.msgctxt else self.msgid


def parse_po(path: Path) -> list[Message]:
    """The messages of a .po file, header and obsolete (#~) entries left out."""
    messages = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
                continue
            match = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
            elif not line.startswith("#"):
                key = None
        if not fields.get("msgid"):
            continue  # the header, or a block of comments only
        message = Message(
            msgid=fields["msgid"],
            msgctxt=fields.get("msgctxt"),
            msgid_plural=fields.get("msgid_plural"),
            flags=flags,
        )
        for name, value in fields.items():
            if name == "msgstr":
                message.msgstr[0] = value
            elif name.startswith("msgstr["):
                message.msgstr[int(name[7:-1])] = value
        messages.append(message)
    return messages


def untranslated_or_fuzzy(po: Path) -> list[str]:
    problems = []
    for m in parse_po(po):
        wanted = 2 if m.msgid_plural else 1  # Spanish: nplurals=2
        if "fuzzy" in m.flags:
            problems.append(f"fuzzy: {m.name!r}")
        if len(m.msgstr) < wanted or not all(m.msgstr.get(i) for i in range(wanted)):
            problems.append(f"untranslated: {m.name!r}")
    return problems


def placeholders_changed(po: Path) -> list[str]:
    problems = []
    for m in parse_po(po):
        sources = [m.msgid, m.msgid_plural] if m.msgid_plural else [m.msgid]
        for i, source in enumerate(sources):
            translation = m.msgstr.get(i, "")
            if translation and sorted(PLACEHOLDER.findall(source)) != sorted(
                PLACEHOLDER.findall(translation)
            ):
                problems.append(f"{m.name!r}: {translation!r}")
    return problems


def stale_in_mo(po: Path, mo: Path) -> list[str]:
    """Messages whose .mo translation is not the .po's, and .mo messages the .po lacks."""
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    problems = []
    keys = set()
    for m in parse_po(po):
        if "fuzzy" in m.flags or not all(m.msgstr.values()):
            expected = {}  # msgfmt leaves these out: gettext falls back to the English source
        else:
            expected = m.msgstr
        if m.msgid_plural:
            keys.add((f"{m.msgctxt}\x04" if m.msgctxt else "") + m.msgid)
            for n, i in ((1, 0), (2, 1)):
                source = m.msgid if n == 1 else m.msgid_plural
                if m.msgctxt:
                    got = catalogue.npgettext(m.msgctxt, m.msgid, m.msgid_plural, n)
                else:
                    got = catalogue.ngettext(m.msgid, m.msgid_plural, n)
                if got != expected.get(i, source):
                    problems.append(f"{m.name!r} (n={n}): .mo says {got!r}")
        else:
            keys.add((f"{m.msgctxt}\x04" if m.msgctxt else "") + m.msgid)
            if m.msgctxt:
                got = catalogue.pgettext(m.msgctxt, m.msgid)
            else:
                got = catalogue.gettext(m.msgid)
            if got != expected.get(0, m.msgid):
                problems.append(f"{m.name!r}: .mo says {got!r}")
    in_mo = {k[0] if isinstance(k, tuple) else k for k in vars(catalogue)["_catalog"]}
    problems += [f"only in the .mo: {k!r}" for k in sorted(in_mo - keys - {""})]
    return problems


def test_every_spanish_message_is_translated_and_none_is_fuzzy():
    problems = untranslated_or_fuzzy(ES / "django.po")
    assert not problems, f"{len(problems)} Spanish messages to translate:\n" + "\n".join(problems)


def test_spanish_translations_keep_every_placeholder():
    problems = placeholders_changed(ES / "django.po")
    assert not problems, "placeholders differ from the source:\n" + "\n".join(problems)


def test_the_spanish_mo_is_compiled_from_the_po():
    problems = stale_in_mo(ES / "django.po", ES / "django.mo")
    assert not problems, "run msgfmt -o django.mo django.po; stale:\n" + "\n".join(problems)


# The checks above must be able to fail: each is run on a broken copy of the catalogue.


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    po, mo = tmp_path / "django.po", tmp_path / "django.mo"
    shutil.copy(ES / "django.po", po)
    shutil.copy(ES / "django.mo", mo)
    return po, mo


def test_an_emptied_or_fuzzy_translation_is_named(tmp_path):
    po, _ = _copy(tmp_path)
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgid "Weight"\nmsgstr "Peso"', 'msgid "Weight"\nmsgstr ""', 1)
    text = text.replace('msgid "Sign in"\n', '#, fuzzy\nmsgid "Sign in"\n', 1)
    text = text.replace('msgstr[1] "%(n)d escaños"', 'msgstr[1] ""', 1)
    po.write_text(text, encoding="utf-8")
    assert sorted(untranslated_or_fuzzy(po)) == [
        "fuzzy: 'Sign in'",
        "untranslated: '%(n)d seat'",
        "untranslated: 'Weight'",
    ]


def test_a_lost_placeholder_is_named(tmp_path):
    po, _ = _copy(tmp_path)
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('"Página %(n)s de %(total)s"', '"Página %(n)s"', 1), "utf-8")
    assert placeholders_changed(po) == ["'Page %(n)s of %(total)s': 'Página %(n)s'"]


def test_a_po_changed_after_compiling_is_named(tmp_path):
    po, mo = _copy(tmp_path)
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Peso"', 'msgstr "Peso ponderado"', 1)
    text = text.replace('msgid "Sign out"\nmsgstr "Salir"\n\n', "", 1)
    po.write_text(text, encoding="utf-8")
    assert stale_in_mo(po, mo) == [
        "'Weight': .mo says 'Peso'",
        "only in the .mo: 'Sign out'",
    ]
