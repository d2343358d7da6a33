"""Read and write the BLT ballot file format (the ERS/OpenSTV/Droop "ballot file").

Layout, one item per line::

    4 2                 candidates seats
    -3                  optional: withdrawn candidates as negative numbers
    1 1 2 4 0           weight, preferences (1-based candidate numbers), terminating 0
    2 3=4 1 0           "=" joins candidates marked equal at one rank; "-" is a skipped rank
    0                   end of ballots
    "Ann"               one name per candidate: quoted, or the whole unquoted line
    ...
    "Title"             the election title (optional; later lines are ignored notes)

What is kept exactly as written: candidate names (the quotes are removed, inner spacing is kept,
so Glasgow's ``Susan AITKEN        SNP`` keeps its party code), ballot weights (integers, or exact
decimals read as :class:`~fractions.Fraction`), and ballot order. A ballot line may start with a
ballot id in parentheses, ``(17) 1 2 3 0``, which is ignored. ``#`` starts a comment on a number
line.

Errors are :class:`BallotFileError` (a ``ValueError``) whose text is ``FILE:LINE: message``, the
form the command line prints for bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

from asamblea.counting.ballots import Profile, Rank, RankedBallot

__all__ = ["BallotFileError", "read_blt", "write_blt"]


class BallotFileError(ValueError):
    """A BLT file that cannot be read: ``path`` and 1-based ``line`` say where."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


_WEIGHT = re.compile(r"^\d+(\.\d+)?$")
_QUOTED = re.compile(r'"([^"]*)"')


def read_blt(source: str | Path | Iterable[str], *, name: str | None = None) -> Profile:
    """Read a BLT file (a path, or an iterable of lines) into a grouped-by-line :class:`Profile`.

    ``name`` is the file name used in error messages when lines are given directly.
    """
    if isinstance(source, str | Path):
        path = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BallotFileError(path, 1, f"not UTF-8 text ({exc.reason})") from None
        lines = text.splitlines()
    else:
        path = name or "<blt>"
        lines = [ln.rstrip("\r\n") for ln in source]
    return _Reader(path, lines).read()


class _Reader:
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.i = 0  # index of the next line to read

    def fail(self, message: str, line: int | None = None) -> BallotFileError:
        return BallotFileError(self.path, line if line is not None else self.i, message)

    def next_number_line(self) -> list[str] | None:
        """The tokens of the next non-blank number line (comments removed), or None at the end."""
        while self.i < len(self.lines):
            raw = self.lines[self.i]
            self.i += 1
            body = raw.split("#", 1)[0].strip()
            if body:
                return body.split()
        return None

    def read(self) -> Profile:
        header = self.next_number_line()
        if header is None:
            raise self.fail("empty file: expected 'CANDIDATES SEATS'", 1)
        if len(header) != 2 or not all(t.isdigit() for t in header):
            raise self.fail("first line must be 'CANDIDATES SEATS' (two whole numbers)")
        ncand, seats = int(header[0]), int(header[1])
        if ncand < 1:
            raise self.fail("the number of candidates must be at least 1")
        if seats < 1:
            raise self.fail("the number of seats must be at least 1")

        withdrawn_numbers: list[int] = []
        raw_ballots: list[tuple[int, Fraction | int, list[list[int]]]] = []
        while True:
            tokens = self.next_number_line()
            if tokens is None:
                raise self.fail("file ends before the '0' line that closes the ballots")
            lineno = self.i
            if tokens == ["0"]:
                break
            # "-1 1 2 0" is a ballot with a negative weight, not a withdrawn-candidates line:
            # that line holds negative numbers only and no closing 0.
            is_ballot = len(tokens) > 1 and tokens[-1] == "0"
            if tokens[0].startswith("-") and not raw_ballots and not is_ballot:
                for t in tokens:
                    if not re.fullmatch(r"-\d+", t) or not 1 <= -int(t) <= ncand:
                        raise self.fail(f"withdrawn candidate {t!r} is not -1 to -{ncand}")
                    withdrawn_numbers.append(-int(t))
                continue
            raw_ballots.append((lineno, *self._ballot(tokens, ncand)))

        names: list[str] = []
        while len(names) < ncand:
            if self.i >= len(self.lines):
                raise self.fail(
                    f"expected {ncand} candidate names, found {len(names)}", len(self.lines)
                )
            raw = self.lines[self.i]
            self.i += 1
            for n in self._names(raw):
                names.append(n)
                if not n.strip():
                    # An empty name could otherwise be elected.
                    raise self.fail(f"candidate {len(names)} has an empty name")
        if len(names) > ncand:
            raise self.fail(f"expected {ncand} candidate names, found more on this line")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise self.fail(f"candidate name repeated: {dupes[0]!r}")

        # The title is the first line after the names; any later lines are free notes (some
        # published files carry the source and first-preference figures there) and are ignored.
        title = ""
        while self.i < len(self.lines) and not title:
            title = " ".join(self._names(self.lines[self.i]))
            self.i += 1

        ballots = [
            RankedBallot(tuple(tuple(names[c - 1] for c in rank) for rank in ranks), weight)
            for _, weight, ranks in raw_ballots
        ]
        return Profile(
            candidates=names,
            ballots=ballots,
            title=title,
            seats=seats,
            withdrawn=[names[n - 1] for n in withdrawn_numbers],
        )

    def _ballot(self, tokens: list[str], ncand: int) -> tuple[Fraction | int, list[list[int]]]:
        if tokens[0].startswith("(") and tokens[0].endswith(")"):
            tokens = tokens[1:]  # a ballot id
        if not tokens:
            raise self.fail("ballot line has no weight")
        weight_text = tokens[0]
        if weight_text.startswith("-") and _WEIGHT.match(weight_text[1:]):
            raise self.fail(
                f"ballot weight {weight_text!r} is negative: a weight is a number of ballots,"
                " 0 or more"
            )
        if not _WEIGHT.match(weight_text):
            raise self.fail(f"ballot weight {weight_text!r} is not a non-negative number")
        weight: Fraction | int = Fraction(weight_text) if "." in weight_text else int(weight_text)
        if isinstance(weight, Fraction) and weight.denominator == 1:
            weight = int(weight)
        if tokens[-1] != "0":
            raise self.fail("ballot line must end with 0")
        ranks: list[list[int]] = []
        seen: set[int] = set()
        for tok in tokens[1:-1]:
            if tok == "-":
                ranks.append([])
                continue
            rank: list[int] = []
            for part in tok.split("="):
                if not part.isdigit() or not 1 <= int(part) <= ncand:
                    raise self.fail(f"preference {part!r} is not a candidate number 1 to {ncand}")
                c = int(part)
                if c in seen:
                    raise self.fail(f"candidate {c} is ranked twice on one ballot")
                seen.add(c)
                rank.append(c)
            ranks.append(rank)
        return weight, ranks

    @staticmethod
    def _names(raw: str) -> list[str]:
        text = raw.strip()
        if not text:
            return []
        if text.startswith('"'):
            found = _QUOTED.findall(text)
            if found:
                return found
        return [text]


def _quote(text: str) -> str:
    if '"' in text or "\n" in text:
        raise ValueError(f"a BLT name or title cannot contain quotes or newlines: {text!r}")
    return f'"{text}"'


def write_blt(profile: Profile) -> str:
    """The profile as BLT text (names and title quoted); ``read_blt`` of it gives it back.

    A skipped rank is written ``-``, equal ranks ``a=b``. An overvote recorded only as a label
    (``#overvote``) has no BLT form and is refused.
    """
    if profile.seats is None:
        raise ValueError("a BLT file needs the number of seats: set profile.seats")
    number = {name: i + 1 for i, name in enumerate(profile.candidates)}
    out = [f"{len(profile.candidates)} {profile.seats}"]
    if profile.withdrawn:
        out.append(" ".join(f"-{number[w]}" for w in profile.withdrawn))
    for b in profile.ballots:
        fields = [_weight(b.count)]
        for rank in b.ranking:
            fields.append(_rank(rank, number))
        fields.append("0")
        out.append(" ".join(fields))
    out.append("0")
    out.extend(_quote(n) for n in profile.candidates)
    out.append(_quote(profile.title))
    return "\n".join(out) + "\n"


def _weight(count: int | Fraction) -> str:
    if isinstance(count, int) or count.denominator == 1:
        return str(int(count))
    # Only weights with a finite decimal expansion can be written exactly.
    d = count.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1 or count < 0:
        raise ValueError(f"ballot weight {count} has no exact decimal form")
    places = 0
    while (count * 10**places).denominator != 1:
        places += 1
    scaled = int(count * 10**places)
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"


def _rank(rank: Rank, number: dict[str, int]) -> str:
    if not rank:
        return "-"
    try:
        return "=".join(str(number[c]) for c in rank)
    except KeyError as exc:
        raise ValueError(f"ballot names {exc.args[0]!r}, which is not a candidate") from None
