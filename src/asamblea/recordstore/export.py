"""Writing an organisation's record in the export layout that ``asamblea verify`` reads.

Layout (the same over HTTP under ``/record/export/SLUG/``):

- ``entries.jsonl``: line n is leaf n, its canonical bytes;
- ``checkpoints/<size>`` (``<size>.<k>`` for a further checkpoint of the same size, e.g. a key
  rotation) and ``checkpoints/index.txt`` listing them;
- ``key.pub``: the current verifier key; ``keys.pub``: every key, oldest first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asamblea.recordstore import keys as keystore
from asamblea.recordstore.actions import do_sign_checkpoint
from asamblea.recordstore.models import Checkpoint, RecordEntry


def entry_lines(organisation: Any, *, limit: int | None = None) -> Iterator[bytes]:
    rows = RecordEntry.objects.filter(organisation=organisation).order_by("index")
    if limit is not None:
        rows = rows.filter(index__lt=limit)
    for canonical in rows.values_list("canonical", flat=True).iterator(chunk_size=2000):
        yield canonical.encode("utf-8") + b"\n"


def checkpoint_files(organisation: Any, *, max_size: int | None = None) -> list[tuple[str, str]]:
    """``(file name, signed note)`` of every checkpoint, oldest first."""
    out: list[tuple[str, str]] = []
    seen: dict[int, int] = {}
    rows = Checkpoint.objects.filter(organisation=organisation)
    if max_size is not None:
        rows = rows.filter(size__lte=max_size)
    for size, note in rows.order_by("size", "id").values_list("size", "note"):
        seen[size] = seen.get(size, 0) + 1
        name = str(size) if seen[size] == 1 else f"{size}.{seen[size]}"
        out.append((name, note))
    return out


def key_pub(organisation: Any) -> str:
    key = keystore.current_key(organisation)
    return key.vkey + "\n" if key else ""


def keys_pub(organisation: Any) -> str:
    return "".join(k.vkey + "\n" for k in keystore.all_keys(organisation))


def export_to_dir(organisation: Any, directory: str | os.PathLike[str]) -> dict[str, int]:
    """Sign a checkpoint over everything appended so far, then write the export."""
    latest = do_sign_checkpoint(organisation)
    out = Path(directory)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = out / "entries.jsonl.tmp"
    with tmp.open("wb") as fh:
        # Only what the latest checkpoint signs: an entry appended meanwhile waits for the next.
        for line in entry_lines(organisation, limit=latest.size):
            fh.write(line)
            count += 1
    tmp.replace(out / "entries.jsonl")
    files = checkpoint_files(organisation, max_size=latest.size)
    for name, note in files:
        (out / "checkpoints" / name).write_text(note, encoding="utf-8")
    (out / "checkpoints" / "index.txt").write_text("".join(f"{n}\n" for n, _ in files))
    (out / "key.pub").write_text(key_pub(organisation))
    (out / "keys.pub").write_text(keys_pub(organisation))
    return {"entries": count, "checkpoints": len(files), "size": latest.size}
