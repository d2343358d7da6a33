"""Add Spanish translations to the catalogue without rewriting it, then recompile the .mo.

    .venv/bin/python tools/po_add.py PAIRS.json

``PAIRS.json`` is a list of objects ``{"msgid": ..., "msgstr": ..., "msgctxt": optional,
"msgid_plural": optional, "msgstr_plural": [singular, plural] optional}``. A message already in
the catalogue (same context and id) has its translation replaced; a new one is appended. Several
people can add messages at once: each run reads the file as it is on disk and changes only its
own messages. ``makemessages -l es --no-location --no-obsolete`` (from ``src/asamblea``) remains
the way to find strings not yet in the catalogue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "src/asamblea/locale/es/LC_MESSAGES/django.po"


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def block(pair: dict[str, object]) -> str:
    lines = []
    if pair.get("msgctxt"):
        lines.append(f"msgctxt {quote(str(pair['msgctxt']))}")
    lines.append(f"msgid {quote(str(pair['msgid']))}")
    if pair.get("msgid_plural"):
        lines.append(f"msgid_plural {quote(str(pair['msgid_plural']))}")
        forms = pair.get("msgstr_plural") or [pair["msgstr"], pair["msgstr"]]
        assert isinstance(forms, list)
        lines += [f"msgstr[{i}] {quote(str(s))}" for i, s in enumerate(forms)]
    else:
        lines.append(f"msgstr {quote(str(pair['msgstr']))}")
    return "\n".join(lines) + "\n"


def split_blocks(text: str) -> list[str]:
    return [b for b in text.strip("\n").split("\n\n") if b.strip()]


def key_of(text_block: str) -> tuple[str, str] | None:
    ctxt, msgid, current = "", None, None
    for line in text_block.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            current, ctxt = "ctxt", json.loads(line[8:])
        elif line.startswith("msgid "):
            current, msgid = "id", json.loads(line[6:])
        elif line.startswith('"') and current == "id" and msgid is not None:
            msgid += json.loads(line)
        elif line.startswith('"') and current == "ctxt":
            ctxt += json.loads(line)
        else:
            current = None if not line.startswith('"') else current
    return None if msgid is None or msgid == "" else (ctxt, msgid)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    pairs = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    blocks = split_blocks(PO.read_text(encoding="utf-8"))
    index = {key_of(b): i for i, b in enumerate(blocks)}
    for pair in pairs:
        key = (str(pair.get("msgctxt") or ""), str(pair["msgid"]))
        text = block(pair).rstrip("\n")
        if key in index:
            blocks[index[key]] = text
        else:
            index[key] = len(blocks)
            blocks.append(text)
    PO.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    mo = PO.with_suffix(".mo")
    subprocess.run(["msgfmt", "--check", "-o", str(mo), str(PO)], check=True)  # noqa: S603,S607
    print(f"{len(pairs)} messages in {PO.name}; {mo.name} compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
