"""Reading a large ballot file straight into arrays, with progress.

:func:`read_array` reads a JSON-lines or BLT file into one int16 array of rankings and one int64
array of counts, and then groups them: a million-line file is held once, as about
``lines x ranks x 2`` bytes. JSON lines are read in blocks of whole lines (256 KB): identical lines
are counted once (``Counter``), the distinct ones parsed each alone by ``map`` (orjson when
installed) and turned into rows by C-level passes and NumPy, never a Python statement per line
(docs/adr/0011-reading-ballot-files.md). BLT is read line by line. It reads only simple ballots
(one candidate per rank, whole counts: see ``arrays``) and returns ``None`` at anything else (a
skipped rank, an overvote, a fractional weight, an unknown or empty name, text that is not UTF-8
JSON, no ballots at all); the caller then reads the file with the exact path's reader, which
reports errors as ``FILE:LINE: message``. Names, order of candidates, title, seats and withdrawn
candidates are read as ``io.read_jsonl`` and ``blt.read_blt`` read them, so a count from these
arrays equals the exact path's count of the same file.

``progress(message)`` is called every ``every`` lines with the lines read and the share of the
file's bytes.
"""

from __future__ import annotations

import gc
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from asamblea.counting.fast.arrays import ArrayProfile, group, is_simple

try:  # A faster parser when installed (docs/adr/0011-reading-ballot-files.md); same results.
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; the standard parser also works
    _loads: Callable[[bytes], Any] = json.loads  # type: ignore[no-redef]

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
    # The reader makes millions of short-lived, acyclic containers (parsed lines); the cyclic
    # collector would walk the live ones again and again, which more than doubled the parse.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if fmt == "jsonl":
            out = _read_jsonl(path, candidates, progress, every)
        elif fmt == "blt":
            out = _read_blt(path, progress, every)
        else:
            return None
    except (ValueError, UnicodeDecodeError, OSError, RecursionError):
        return None
    finally:
        if collecting:
            gc.enable()
    if out is None or out[3] == 0:
        # The exact reader reports what is wrong (FILE:LINE: message), or that there are no
        # ballots.
        return None
    array, flat, weights, n = out
    del out
    rows, counts = group(flat, weights, len(array.candidates), first_seen=True)
    del flat, weights
    array.rankings = rows
    array.counts = counts
    array.lines = n
    if progress is not None:
        progress(f"read {n:,} ballot lines into {len(rows):,} distinct rankings")
    return array


Read = tuple[ArrayProfile, np.ndarray, np.ndarray | None, int]

# Bytes read at once, in whole lines; the block's parsed objects are alive only
# while they are turned into int16 rows (256 KB of ballots of ten names: about 2 MB of objects).
CHUNK_BYTES = 1 << 18
_BOM = b"\xef\xbb\xbf"


def _read_jsonl(
    path: Path, candidates: list[str] | None, progress: Progress | None, every: int
) -> Read | None:
    """JSON lines in blocks of whole lines: each distinct line of a block is parsed once
    (``map``, orjson when installed) and turned into rows with C-level passes (``map``, ``set``) and NumPy, with no
    Python statement per ballot (docs/adr/0011-reading-ballot-files.md)."""
    names: list[str] = list(candidates) if candidates is not None else []
    index = {c: i for i, c in enumerate(names)}
    fixed = candidates is not None
    chunks: list[tuple[np.ndarray, np.ndarray | None]] = []
    size = max(os.path.getsize(path), 1)
    done = number = ballots = 0
    rest = b""
    with open(path, "rb") as fh:
        while True:
            block = fh.read(CHUNK_BYTES)
            if not block and not rest:
                break
            if number == 0 and done == 0 and block.startswith(_BOM):
                block = block[3:]
                done += 3
            block = rest + block
            if block and not block.endswith(b"\n"):
                cut = block.rfind(b"\n") + 1
                if cut and len(block) - cut < CHUNK_BYTES:
                    block, rest = block[:cut], block[cut:]
                else:  # the file's last line, without a newline
                    rest = b""
            else:
                rest = b""
            lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
            if progress is not None and (number + lines) // every > number // every:
                mark = (number // every + 1) * every
                # The byte offset of the end of line ``mark``, for an exact share.
                at = -1
                for _ in range(mark - number):
                    at = block.find(b"\n", at + 1)
                progress(f"read {mark:,} lines ({100 * (done + at + 1) // size}%)")
            number += lines
            done += len(block)
            parsed = _parse_block(block, index, names, fixed)
            if parsed is None:
                return None
            rows, counts, read = parsed
            if read:
                chunks.append((rows, counts))
                ballots += read
    width = max((rows.shape[1] for rows, _ in chunks), default=1)
    total_rows = sum(len(rows) for rows, _ in chunks)
    flat = np.full((total_rows, width), -1, dtype=np.int16)
    weighted = any(counts is not None for _, counts in chunks)
    weights = np.ones(total_rows, dtype=np.int64) if weighted else None
    at = 0
    for i, (rows, counts) in enumerate(chunks):
        flat[at : at + len(rows), : rows.shape[1]] = rows
        if weights is not None and counts is not None:
            weights[at : at + len(rows)] = counts
        at += len(rows)
        chunks[i] = (np.empty((0, 1), dtype=np.int16), None)
    return ArrayProfile(names, np.zeros((0, 1), dtype=np.int16)), flat, weights, ballots


def _parse_block(
    block: bytes, index: dict[str, int], names: list[str], fixed: bool
) -> tuple[np.ndarray, np.ndarray | None, int] | None:
    """Rows (int16, -1 padded) and counts (None: all 1) of the simple ballots of a block of
    whole lines, or ``None`` for anything else (the exact reader then reads the file, and
    reports errors with their line)."""
    # Identical lines are parsed once: Counter counts them in C, in first-seen order.
    occurrences = Counter(block.split(b"\n"))
    for blank in [line for line in occurrences if not line or line.isspace()]:
        del occurrences[blank]
    if not occurrences:
        return np.zeros((0, 1), dtype=np.int16), None, 0
    # Each distinct line parsed alone (a line must be one JSON value by itself: joining lines
    # into one array would let two broken lines make one valid object), by ``map`` in C.
    objs = list(map(_loads, occurrences))
    times = np.fromiter(occurrences.values(), dtype=np.int64, count=len(occurrences))
    rankings = _rankings(objs)
    if rankings is None:
        return None
    lengths = np.fromiter(map(len, rankings), dtype=np.int64, count=len(rankings))
    ranks = list(chain.from_iterable(rankings))
    if not ranks:
        return _with_counts(_rows(lengths, np.zeros(0, dtype=np.int16)), objs, times)
    # One name per rank: no skipped rank, no overvote.
    if set(map(type, ranks)) != {list} or set(map(len, ranks)) != {1}:
        return None
    found = list(map(itemgetter(0), ranks))
    try:
        # Only names are keys of ``index``: a mark that is not a known name stops here.
        marked = np.fromiter(map(index.__getitem__, found), dtype=np.int16, count=len(found))
    except (KeyError, TypeError):
        if fixed or set(map(type, found)) != {str}:
            return None
        for name in dict.fromkeys(found):  # new names in first-seen order, as io.read_jsonl
            if name not in index:
                if name.startswith("#") or not name.strip() or len(names) >= 2**15 - 1:
                    return None
                index[name] = len(names)
                names.append(name)
        marked = np.fromiter(map(index.__getitem__, found), dtype=np.int16, count=len(found))
    rows = _rows(lengths, marked)
    if not is_simple(rows, len(names)):  # a candidate twice on one ballot
        return None
    return _with_counts(rows, objs, times)


def _rankings(objs: list[Any]) -> list[list[Any]] | None:
    try:
        rankings = [obj["ranking"] for obj in objs]
    except (KeyError, TypeError):  # not an object, or no ranking
        return None
    if set(map(type, rankings)) != {list}:
        return None
    return rankings


def _rows(lengths: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Ballot rows, -1 padded, from each ballot's number of marks and all marks in order."""
    rows = np.full((len(lengths), max(int(lengths.max()), 1)), -1, dtype=np.int16)
    if len(marked):
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        starts = np.cumsum(lengths) - lengths
        rows[row_of, np.arange(len(marked)) - np.repeat(starts, lengths)] = marked
    return rows


def _with_counts(
    rows: np.ndarray, objs: list[Any], times: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None, int] | None:
    """The rows with their ballots (a line's count times the times it occurs; None: all 1) and
    the number of ballot lines."""
    lines = int(times.sum())
    raw = [obj.get("count", 1) for obj in objs]
    kinds = set(map(type, raw))
    if kinds == {int} and max(raw) == 1 and min(raw) == 1:
        return rows, (None if lines == len(rows) else times), lines
    numbers = []
    for count in raw:
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count.strip())
        if type(count) is not int:
            return None
        numbers.append(count)
    # A line's count below 2^31 and fewer than 2^32 lines keep every total within int64.
    if min(numbers) <= 0 or max(numbers) >= 2**31:
        return None
    return rows, np.array(numbers, dtype=np.int64) * times, lines


def _read_blt(path: Path, progress: Progress | None, every: int) -> Read | None:
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
    if len(names) != ncand or len(set(names)) != ncand or not all(n.strip() for n in names):
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
    n = buffer.n
    flat, weights = buffer.arrays()
    return array, flat, weights, n
