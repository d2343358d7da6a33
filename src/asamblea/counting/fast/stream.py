"""Reading a large ballot file straight into arrays, one line at a time, with progress.

:func:`read_array` streams a JSON-lines or BLT file into one int16 array of rankings and one
int64 array of counts (grown by doubling), and never builds a Python object per ballot: a
million-line file is held once, as about ``lines x ranks x 2`` bytes, and then grouped. It reads
only simple ballots (one candidate per rank, whole counts: see ``arrays``) and returns ``None``
at the first line that is anything else (a skipped rank, an overvote, a fractional weight, an
unknown name, a line it cannot parse); the caller then reads the file with the exact path's
reader, which also reports errors as ``FILE:LINE: message``. Names, order of candidates, title,
seats and withdrawn candidates are read as ``io.read_jsonl`` and ``blt.read_blt`` read them, so
a count from these arrays equals the exact path's count of the same file.

``progress(message)`` is called every ``every`` lines with the lines read and the share of the
file's bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from asamblea.counting.fast.arrays import ArrayProfile, group

Progress = Callable[[str], None]


class _Buffer:
    """Rows of candidate indices (-1 padded) and counts, in fixed-size chunks (no copy on growth);
    counts are kept only once a ballot line counts more than one ballot."""

    CHUNK = 1 << 16

    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.count_chunks: list[np.ndarray] = []
        self.width = 1
        self.n = 0
        self.weighted = False

    def add(self, ranking: list[int], count: int) -> None:
        at = self.n % self.CHUNK
        if at == 0:
            self.chunks.append(np.full((self.CHUNK, self.width), -1, dtype=np.int16))
            self.count_chunks.append(np.ones(self.CHUNK, dtype=np.int32))
        if len(ranking) > self.width:
            self.width = len(ranking)
            for i, chunk in enumerate(self.chunks):
                wider = np.full((self.CHUNK, self.width), -1, dtype=np.int16)
                wider[:, : chunk.shape[1]] = chunk
                self.chunks[i] = wider
        row = self.chunks[-1][at]
        row[: len(ranking)] = ranking
        if count != 1:
            if count >= 2**31:
                raise ValueError("count too large for the streaming reader")
            self.weighted = True
            self.count_chunks[-1][at] = count
        self.n += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """All rows (one copy, chunks released as they are copied) and counts (None: all 1)."""
        rows = np.empty((self.n, self.width), dtype=np.int16)
        counts = np.empty(self.n, dtype=np.int64) if self.weighted else None
        for i in range(len(self.chunks)):
            lo = i * self.CHUNK
            hi = min(self.n, lo + self.CHUNK)
            chunk = self.chunks[i]
            rows[lo:hi, : chunk.shape[1]] = chunk[: hi - lo]
            rows[lo:hi, chunk.shape[1] :] = -1
            if counts is not None:
                counts[lo:hi] = self.count_chunks[i][: hi - lo]
            self.chunks[i] = self.count_chunks[i] = np.empty(0)
        return rows, counts


def _lines(path: Path, progress: Progress | None, every: int) -> Iterable[tuple[int, str]]:
    size = max(os.path.getsize(path), 1)
    done = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            done += len(raw)
            if progress is not None and number % every == 0:
                progress(f"read {number:,} lines ({100 * done // size}%)")
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            yield number, text


def read_array(
    path: str | Path,
    fmt: str,
    *,
    candidates: list[str] | None = None,
    progress: Progress | None = None,
    every: int = 100_000,
) -> ArrayProfile | None:
    """The file's ballots, grouped (first-seen order), or ``None`` (see the module docstring).

    ``fmt`` is ``"jsonl"`` or ``"blt"``; ``candidates`` (JSON lines only) fixes the candidates
    and their order, as ``io.read_jsonl(path, candidates)`` does."""
    path = Path(path)
    try:
        if fmt == "jsonl":
            out = _read_jsonl(path, candidates, progress, every)
        elif fmt == "blt":
            out = _read_blt(path, progress, every)
        else:
            return None
    except (ValueError, UnicodeDecodeError, OSError):
        return None
    if out is None:
        return None
    array, buffer = out
    n = buffer.n
    flat, weights = buffer.arrays()
    del buffer
    rows, counts = group(flat, weights, len(array.candidates), first_seen=True)
    del flat, weights
    array.rankings = rows
    array.counts = counts
    array.lines = n
    if progress is not None:
        progress(f"read {n:,} ballot lines into {len(rows):,} distinct rankings")
    return array


def _read_jsonl(
    path: Path, candidates: list[str] | None, progress: Progress | None, every: int
) -> tuple[ArrayProfile, _Buffer] | None:
    names: list[str] = list(candidates) if candidates is not None else []
    index = {c: i for i, c in enumerate(names)}
    fixed = candidates is not None
    buffer = _Buffer()
    for _, text in _lines(path, progress, every):
        if not text.strip():
            continue
        obj = json.loads(text)
        if not isinstance(obj, dict) or not isinstance(obj.get("ranking"), list):
            return None
        count = obj.get("count", 1)
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count.strip())
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            return None
        ranking: list[int] = []
        for rank in obj["ranking"]:
            if not isinstance(rank, list) or len(rank) != 1 or not isinstance(rank[0], str):
                return None
            name = rank[0]
            if name not in index:
                if fixed or name.startswith("#"):
                    return None
                index[name] = len(names)
                names.append(name)
            c = index[name]
            if c in ranking:
                return None
            ranking.append(c)
        buffer.add(ranking, count)
    return ArrayProfile(names, np.zeros((0, 1), dtype=np.int16)), buffer


def _read_blt(
    path: Path, progress: Progress | None, every: int
) -> tuple[ArrayProfile, _Buffer] | None:
    from asamblea.counting.blt import _Reader

    lines = iter(_lines(path, progress, every))

    def number_line() -> list[str] | None:
        for _, text in lines:
            body = text.split("#", 1)[0].strip()
            if body:
                return body.split()
        return None

    header = number_line()
    if header is None or len(header) != 2 or not all(t.isdigit() for t in header):
        return None
    ncand, seats = int(header[0]), int(header[1])
    if ncand < 1 or seats < 1:
        return None
    withdrawn: list[int] = []
    buffer = _Buffer()
    while True:
        tokens = number_line()
        if tokens is None:
            return None
        if tokens == ["0"]:
            break
        if tokens[0].startswith("-") and buffer.n == 0:
            for t in tokens:
                if not t[1:].isdigit() or not 1 <= int(t[1:]) <= ncand:
                    return None
                withdrawn.append(int(t[1:]))
            continue
        if not tokens[0].isdigit() or int(tokens[0]) == 0 or tokens[-1] != "0":
            return None
        ranking: list[int] = []
        for tok in tokens[1:-1]:
            if not tok.isdigit() or not 1 <= int(tok) <= ncand or int(tok) - 1 in ranking:
                return None
            ranking.append(int(tok) - 1)
        buffer.add(ranking, int(tokens[0]))
    names: list[str] = []
    rest = [text.rstrip("\r\n") for _, text in lines]
    i = 0
    while len(names) < ncand:
        if i >= len(rest):
            return None
        names.extend(_Reader._names(rest[i]))
        i += 1
    if len(names) != ncand or len(set(names)) != ncand:
        return None
    title = ""
    while i < len(rest) and not title:
        title = " ".join(_Reader._names(rest[i]))
        i += 1
    array = ArrayProfile(
        names,
        np.zeros((0, 1), dtype=np.int16),
        withdrawn=[names[n - 1] for n in withdrawn],
        title=title,
    )
    array.seats = seats
    return array, buffer
