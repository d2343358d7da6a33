"""Reading and writing ballot files, streamed line by line.

- JSON lines (the conformance format, ``tests/conformance/README.md``): one object per line,
  ``{"ranking": [[...], [...]], "count": n}``; ``[]`` is a skipped rank, two or more names at one
  rank an overvote (or equal ranking), ``["#overvote"]`` an overvote known only by its label.
- CSV of rankings: a header ``rank1,rank2,...,rankN`` with an optional ``count`` column; one row
  per ballot (or per group of identical ballots with ``count``); an empty cell is a skipped rank;
  ``A=B`` marks A and B at the same rank.
- BLT is read by :mod:`asamblea.counting.blt`.

Every error names the file and line: :class:`BallotFileError` prints as ``FILE:LINE: message``.
Both formats are UTF-8; a byte order mark is accepted as the file's first character (spreadsheets
write one) and nowhere else. A CSV row may not have more cells than the header has columns, and
the header names only ``rankN`` and ``count`` columns, each once: no cell is silently dropped. A
candidate's name is never empty (docs/adr/0011-reading-ballot-files.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from asamblea.counting.ballots import OVERVOTE_LABEL, Profile, Rank, RankedBallot


class BallotFileError(ValueError):
    def __init__(self, path: str | Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
        self.message = message


def _parse_count(raw: Any, path: str | Path, line: int) -> int | Fraction:
    if isinstance(raw, bool):
        raise BallotFileError(path, line, "count: must be a positive number")
    if isinstance(raw, int):
        value: int | Fraction = raw
    elif isinstance(raw, str):
        try:
            value = Fraction(raw.strip())
        except (ValueError, ZeroDivisionError):
            raise BallotFileError(path, line, f"count: not a number: {raw!r}") from None
        if value.denominator == 1:
            value = value.numerator
    else:
        # Floats are refused: a count must be exact.
        raise BallotFileError(path, line, "count: must be an integer or a decimal string")
    if value <= 0:
        raise BallotFileError(path, line, "count: must be positive")
    return value


_BOM = b"\xef\xbb\xbf"


def decode_line(raw: bytes, path: str | Path, number: int) -> str:
    """One line of a ballot file as text: UTF-8, a byte order mark allowed on line 1 only."""
    if number == 1 and raw.startswith(_BOM):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"at column {exc.start + 1}"
        raise BallotFileError(path, number, _not_utf8(raw[exc.start], where)) from None


def _not_utf8(byte: int, where: str) -> str:
    return f"not UTF-8 text (byte 0x{byte:02x} {where}): save the file as UTF-8"


def check_name(name: str, path: str | Path, line: int, where: str = "ranking") -> None:
    """A candidate's name has a visible character: an empty name could otherwise win."""
    if not name.strip():
        raise BallotFileError(path, line, f"{where}: empty candidate name")


def parse_json_line(text: str, path: str | Path, number: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BallotFileError(path, number, f"not JSON: {exc.msg}") from None
    except RecursionError:
        raise BallotFileError(path, number, "not JSON: nested too deeply") from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, RankedBallot]]:
    """Yield ``(line number, ballot)`` from a JSON-lines ballot file, one line at a time."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            text = decode_line(raw, path, number)
            if not text.strip():
                continue
            obj = parse_json_line(text, path, number)
            if not isinstance(obj, dict) or "ranking" not in obj:
                raise BallotFileError(path, number, "ranking: missing")
            ranking = obj["ranking"]
            if not isinstance(ranking, list):
                raise BallotFileError(path, number, "ranking: must be a list of lists")
            ranks: list[Rank] = []
            for rank in ranking:
                if not isinstance(rank, list) or not all(isinstance(n, str) for n in rank):
                    raise BallotFileError(
                        path, number, "ranking: each rank must be a list of names"
                    )
                for name in rank:
                    check_name(name, path, number)
                ranks.append(tuple(rank))
            count = _parse_count(obj.get("count", 1), path, number)
            yield number, RankedBallot(tuple(ranks), count)


def read_jsonl(
    path: str | Path, candidates: Iterable[str] | None = None, *, extra_names: Iterable[str] = ()
) -> Profile:
    """Read a JSON-lines file. With ``candidates``, every name must be one of them (or of
    ``extra_names``, e.g. the undeclared write-in); without, candidates are listed as first seen."""
    return _collect(iter_jsonl(path), path, candidates, extra_names)


def _collect(
    rows: Iterable[tuple[int, RankedBallot]],
    path: str | Path,
    candidates: Iterable[str] | None,
    extra_names: Iterable[str],
) -> Profile:
    fixed = list(candidates) if candidates is not None else None
    allowed = set(fixed or ()) | set(extra_names) | {OVERVOTE_LABEL}
    seen: list[str] = []
    seen_set: set[str] = set()
    ballots: list[RankedBallot] = []
    for number, ballot in rows:
        for rank in ballot.ranking:
            for name in rank:
                if fixed is not None:
                    if name not in allowed:
                        raise BallotFileError(path, number, f"ranking: unknown candidate {name!r}")
                elif name not in seen_set and name != OVERVOTE_LABEL:
                    seen_set.add(name)
                    seen.append(name)
        ballots.append(ballot)
    return Profile(candidates=fixed if fixed is not None else seen, ballots=ballots)


def write_jsonl(profile: Profile, fh: IO[str]) -> None:
    for ballot in profile.ballots:
        count: Any = ballot.count if isinstance(ballot.count, int) else str(ballot.count)
        row = {"ranking": [list(rank) for rank in ballot.ranking], "count": count}
        fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def iter_csv(path: str | Path) -> Iterator[tuple[int, RankedBallot]]:
    """Yield ``(line number, ballot)`` from a CSV of rankings."""
    # Undecodable bytes become lone surrogates (surrogateescape), found per row below: the
    # decoder itself reads ahead in blocks and could not say which line held them.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise BallotFileError(
                path, 1, "empty file: expected a header rank1,rank2,..."
            ) from None
        _check_utf8(header, path, reader.line_num)
        names = [h.strip().lower() for h in header]
        for i, name in enumerate(names):
            if names.index(name) != i:
                raise BallotFileError(
                    path, 1, f"header: column {header[i].strip()!r} appears twice"
                )
        count_col = names.index("count") if "count" in names else None
        rank_cols = [i for i, h in enumerate(names) if h.startswith("rank")]
        if not rank_cols:
            raise BallotFileError(path, 1, "header: no rank1,rank2,... columns")
        for i in rank_cols:
            if names[i] != f"rank{rank_cols.index(i) + 1}":
                raise BallotFileError(
                    path, 1, f"header: expected rank columns in order, got {header[i]!r}"
                )
        for i in range(len(names)):
            if i != count_col and i not in rank_cols:
                raise BallotFileError(
                    path,
                    1,
                    f"header: unknown column {header[i].strip()!r}"
                    " (expected rank1,rank2,... and count)",
                )
        for row in reader:
            number = reader.line_num
            _check_utf8(row, path, number)
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise BallotFileError(
                    path,
                    number,
                    f"row has {len(row)} cells but the header names {len(header)} columns",
                )
            ranks: list[Rank] = []
            for i in rank_cols:
                cell = row[i].strip() if i < len(row) else ""
                ranks.append(tuple(p.strip() for p in cell.split("=") if p.strip()) if cell else ())
            while ranks and not ranks[-1]:
                ranks.pop()
            count: int | Fraction = 1
            if count_col is not None:
                raw = row[count_col] if count_col < len(row) else ""
                count = _parse_count(raw, path, number)
            yield number, RankedBallot(tuple(ranks), count)


def _check_utf8(row: list[str], path: str | Path, line: int) -> None:
    for number, cell in enumerate(row, start=1):
        try:
            cell.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(cell[exc.start]) - 0xDC00
            raise BallotFileError(path, line, _not_utf8(byte, f"in cell {number}")) from None


def read_csv(
    path: str | Path, candidates: Iterable[str] | None = None, *, extra_names: Iterable[str] = ()
) -> Profile:
    return _collect(iter_csv(path), path, candidates, extra_names)


def write_csv(profile: Profile, fh: IO[str]) -> None:
    width = max((len(b.ranking) for b in profile.ballots), default=1) or 1
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow([f"rank{i + 1}" for i in range(width)] + ["count"])
    for b in profile.ballots:
        cells = ["=".join(rank) for rank in b.ranking]
        cells += [""] * (width - len(cells))
        writer.writerow(cells + [str(b.count)])


def ballot_format(path: str | Path) -> str:
    """``jsonl``, ``csv`` or ``blt``, from the file name."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".blt":
        return "blt"
    raise ValueError(
        f"{path}: unknown ballot file type {suffix or '(none)'}: use .jsonl, .csv or .blt"
    )
