"""Languages: Spanish by default, English, and a Quechua or Aymara catalogue needs no code change."""

from __future__ import annotations

import ast
import gettext
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from fixtures.sample import build_sample

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU .mo catalogue (what ``msgfmt`` writes), so the test needs no gettext tools."""
    header = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"
    entries = sorted({"": header, **messages}.items())
    ids = [k.encode() for k, _ in entries]
    strs = [v.encode() for _, v in entries]
    n = len(entries)
    table_start = 7 * 4
    data_start = table_start + 16 * n
    offsets_ids, offsets_strs, blob = [], [], b""
    for s in ids:
        offsets_ids.append((len(s), data_start + len(blob)))
        blob += s + b"\0"
    for s in strs:
        offsets_strs.append((len(s), data_start + len(blob)))
        blob += s + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, n, table_start, table_start + 8 * n, 0, 0)
    out += b"".join(struct.pack("<2I", *o) for o in offsets_ids)
    out += b"".join(struct.pack("<2I", *o) for o in offsets_strs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out + blob)


def test_the_mo_writer_writes_what_gettext_reads(tmp_path):
    mo = tmp_path / "x.mo"
    write_mo(mo, {"Organisations": "Tantanakuykuna"})
    with mo.open("rb") as fh:
        assert gettext.GNUTranslations(fh).gettext("Organisations") == "Tantanakuykuna"


def test_a_quechua_catalogue_dropped_into_locale_is_used_without_code_change(
    client, tmp_path, settings
):
    build_sample()
    # Without a quz catalogue the switcher does not offer it.
    assert 'value="quz"' not in client.get("/").content.decode()
    write_mo(
        tmp_path / "locale" / "quz" / "LC_MESSAGES" / "django.mo",
        {"Organisations": "Tantanakuykuna", "Structure": "Wakichiynin"},
    )
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    html = client.get("/").content.decode()
    assert 'value="quz"' in html and "Runasimi" in html
    client.post(reverse("web:set_language"), {"language": "quz", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="quz"' in html and "Tantanakuykuna" in html
    # Strings the catalogue does not have yet fall back to Spanish, the default.
    org_page = client.get(reverse("registry:organisation", args=["sample"])).content.decode()
    assert "Wakichiynin" in org_page and "Asambleas y comités" in org_page


def test_an_aymara_catalogue_works_the_same_way(client, tmp_path, settings):
    write_mo(tmp_path / "locale" / "ayc" / "LC_MESSAGES" / "django.mo", {"Sign in": "Mantaña"})
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]
    response = client.get("/", headers={"Accept-Language": "ayc"})
    assert 'lang="ayc"' in response.content.decode() and "Mantaña" in response.content.decode()


def _po_singulars(po: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file's singular entries (enough to compare with the .mo)."""
    entries: dict[str, str] = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if "msgid_plural" in block or "msgctxt" in block:
            continue
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgstr) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = fields.get("msgstr", "")
    return entries


@pytest.mark.parametrize("lang", ["es", "en"])
def test_shipped_catalogues_are_compiled_from_their_po_files(lang):
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [
        msgid
        for msgid, msgstr in _po_singulars(po).items()
        if msgstr and catalogue.gettext(msgid) != msgstr
    ]
    assert not stale, f"{lang}: run compilemessages; stale: {stale[:5]}"


def test_every_string_of_the_pages_has_a_spanish_translation():
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    web_templates = Path(settings.BASE_DIR) / "web" / "templates" / "web"
    missing = []
    for template in web_templates.glob("*.html"):
        for msgid in re.findall(r'{% trans "([^"]+)" %}', template.read_text(encoding="utf-8")):
            if catalogue.gettext(msgid) == msgid:
                missing.append((template.name, msgid))
    assert not missing, missing
