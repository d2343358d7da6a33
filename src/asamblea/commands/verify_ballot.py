"""``asamblea verify-ballot``: check a challenged (spoilt) ballot offline. No Django, no network.

A voter with JavaScript may ask the ballot page to "check this sealed ballot" (a Benaloh
challenge): the page shows the sealed ballot and its opening (the randomness of every
ciphertext), spoils that ballot and seals a new one. This command, run on the voter's own
computer, recomputes every ciphertext from the opening with group operations only
(``crypto.ballot.check_opened_ballot``, ``crypto.ranked.check_opened_ranking``), checks every
proof when it knows the questions' shapes, and prints the choices the ballot encodes. A check run
by code the same server serves would prove nothing: the point is that this is not that code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from asamblea.commands import InputError, UsageError

HELP = """Check a sealed ballot opened by the ballot page's "Check this sealed ballot" button.

BALLOT is the sealed ballot (its canonical JSON), OPENING the opening the page showed (the
randomness of each ciphertext and the choices it claims). Give the election's public key and id
as the public record shows them, not as the page did. The command checks that the ballot is
sealed for that election under that key, that every ciphertext is exactly the encryption of the
claimed choices with the revealed randomness, and, with --questions (or the shapes the opening
carries, with a warning), every proof. It prints the choices the ballot encodes. Exit 0 when
everything holds, 1 otherwise. A checked ballot is spoilt: it can never be cast."""

OPENING_KIND = "ballot-opening"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ballot", metavar="BALLOT.json")
    parser.add_argument("opening", metavar="OPENING.json")
    parser.add_argument(
        "--public-key", required=True, metavar="KEY", help="the board's key (base64url)"
    )
    parser.add_argument("--election", required=True, metavar="ID", help="the election's id")
    parser.add_argument(
        "--questions",
        metavar="FILE",
        help="the questions' shapes (JSON: the record's election_sealing entry, a list of "
        "{id, choices, min, max}, or {ranked: {id, candidates, ranks}}); default: those the "
        "opening carries",
    )


def _read_json(name: str) -> Any:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{name}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}: not JSON: {exc.msg}") from exc


def _field(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj or type(obj[key]) is not kind:
        raise InputError(f"{where}: {key!r} missing or not a {kind.__name__}")
    return obj[key]


def _ints(obj: Any, where: str) -> list[int]:
    if type(obj) is not list or any(type(v) is not int for v in obj):
        raise InputError(f"{where}: expected a list of integers")
    return list(obj)


def _scalars(obj: Any, where: str) -> tuple[int, ...]:
    from asamblea.crypto.group import scalar_from_text

    if type(obj) is not list:
        raise InputError(f"{where}: expected a list of scalars")
    try:
        return tuple(scalar_from_text(t) for t in obj)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{where}: {exc}") from exc


def _nth(items: Any, i: int) -> Any:
    return items[i] if type(items) is list and i < len(items) else None


def _labels(*shapes: Any, count: int) -> list[str]:
    """The answers' names from the first shape that has them (--questions before the page's)."""
    for shape in shapes:
        labels = shape.get("labels") if isinstance(shape, dict) else None
        if type(labels) is list and len(labels) == count and all(type(x) is str for x in labels):
            return labels
    return [f"answer {i + 1}" for i in range(count)]


def _shapes(args: argparse.Namespace, opening: dict[str, Any]) -> tuple[Any, list[str]]:
    """The questions' shapes: from --questions, else from the opening (with a warning)."""
    if args.questions:
        data = _read_json(args.questions)
        where = args.questions
        if isinstance(data, dict) and "questions" in data and "ranked" not in data:
            # The page's seal-params block or the record's election_sealing entry: when it names
            # the election and key, they must be the ones given.
            for key, given in (("seal_id", args.election), ("public_key", args.public_key)):
                if key in data and data[key] != given:
                    raise InputError(f"{args.questions}: {key} is {data[key]!r}, not {given!r}")
            data = data["questions"]
        return data, []
    where = args.opening
    if "ranked" in opening:
        data = opening["ranked"]
        return {"ranked": data}, [
            f"{where}: the question's shape comes from the opening (from the page); "
            "pass --questions to check it against the record"
        ]
    return opening.get("questions"), [
        f"{where}: the questions' shapes come from the opening (from the page); "
        "pass --questions to check them against the record"
    ]


def run(args: argparse.Namespace) -> int:
    from asamblea.crypto.group import point_from_text

    try:
        public_key = point_from_text(args.public_key)
    except ValueError as exc:
        raise UsageError(f"--public-key: {exc}") from exc
    raw_ballot = _read_json(args.ballot)
    opening = _read_json(args.opening)
    if not isinstance(opening, dict) or opening.get("kind") != OPENING_KIND:
        raise InputError(f"{args.opening}: not a ballot opening (kind {OPENING_KIND!r})")
    shapes, warnings = _shapes(args, opening)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if isinstance(raw_ballot, dict) and raw_ballot.get("kind") == "ranked":
        lines = _check_ranked(args, public_key, raw_ballot, opening, shapes)
    else:
        lines = _check_homomorphic(args, public_key, raw_ballot, opening, shapes)
    print("\n".join(lines))
    print("OK: the ballot encodes exactly these choices, sealed for this election and key.")
    print("This ballot is spoilt by the check: it can never be cast.")
    return 0


def _fail(message: str) -> InputError:
    return InputError(f"asamblea verify-ballot: FAILED: {message}")


def _check_tracking_code(args: argparse.Namespace, opening: dict[str, Any], code: str) -> str:
    claimed = opening.get("tracking_code")
    if claimed is not None and claimed != code:
        raise _fail(f"{args.opening}: the tracking code it names is not this ballot's ({code})")
    return f"tracking code: {code}"


def _check_homomorphic(
    args: argparse.Namespace,
    public_key: Any,
    raw_ballot: Any,
    opening: dict[str, Any],
    shapes: Any,
) -> list[str]:
    from asamblea.crypto import ballot as sealed_ballots

    try:
        sealed = sealed_ballots.ballot_from_json(raw_ballot)
    except sealed_ballots.InvalidBallot as exc:
        raise _fail(f"{args.ballot}: {exc}") from exc
    if sealed.election_id != args.election:
        raise _fail(
            f"{args.ballot}: sealed for election {sealed.election_id!r}, not {args.election!r}"
        )
    if type(shapes) is not list:
        raise InputError(f"{args.questions or args.opening}: no list of questions")
    questions = []
    for i, q in enumerate(shapes):
        where = f"{args.questions or args.opening}: question {i + 1}"
        try:
            # The record's election_sealing entry names the answers instead of counting them.
            if isinstance(q, dict) and "choices" not in q and type(q.get("answers")) is list:
                q = {**q, "choices": len(q["answers"])}
            questions.append(
                sealed_ballots.Question(
                    _field(q, "id", str, where),
                    _field(q, "choices", int, where),
                    _field(q, "min", int, where),
                    _field(q, "max", int, where),
                )
            )
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from exc
    try:
        sealed_ballots.verify_ballot(public_key, args.election, questions, sealed)
    except sealed_ballots.InvalidBallot as exc:
        raise _fail(f"{args.ballot}: {exc}") from exc
    selections_raw = _field(opening, "selections", list, args.opening)
    randomness_raw = _field(opening, "randomness", list, args.opening)
    if len(selections_raw) != len(questions) or len(randomness_raw) != len(questions):
        raise _fail(f"{args.opening}: one selection and one list of randomness per question")
    selections = [
        _ints(s, f"{args.opening}: selections {i + 1}") for i, s in enumerate(selections_raw)
    ]
    randomness = tuple(
        _scalars(r, f"{args.opening}: randomness {i + 1}") for i, r in enumerate(randomness_raw)
    )
    if not sealed_ballots.check_opened_ballot(
        public_key, sealed, selections, sealed_ballots.BallotOpening(randomness)
    ):
        raise _fail("the ballot does not encrypt the choices the opening claims")
    lines = [_check_tracking_code(args, opening, sealed_ballots.tracking_code(sealed))]
    for i, (question, selection) in enumerate(zip(questions, selections, strict=True)):
        labels = _labels(_nth(shapes, i), _nth(opening.get("questions"), i), count=question.choices)
        chosen = [labels[j] for j, m in enumerate(selection) if m == 1]
        lines.append(f"{question.question_id}: {', '.join(chosen) if chosen else '(blank)'}")
    return lines


def _check_ranked(
    args: argparse.Namespace,
    public_key: Any,
    raw_ballot: Any,
    opening: dict[str, Any],
    shapes: Any,
) -> list[str]:
    from asamblea.crypto import ranked

    try:
        sealed = ranked.ranking_from_json(raw_ballot)
    except ranked.InvalidRanking as exc:
        raise _fail(f"{args.ballot}: {exc}") from exc
    if sealed.election_id != args.election:
        raise _fail(
            f"{args.ballot}: sealed for election {sealed.election_id!r}, not {args.election!r}"
        )
    where = args.questions or args.opening
    shape = shapes.get("ranked") if isinstance(shapes, dict) else None
    try:
        question = ranked.RankedQuestion(
            _field(shape, "id", str, where),
            _field(shape, "candidates", int, where),
            _field(shape, "ranks", int, where),
        )
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from exc
    try:
        ranked.verify_ranking(public_key, args.election, question, sealed)
    except ranked.InvalidRanking as exc:
        raise _fail(f"{args.ballot}: {exc}") from exc
    values = _ints(_field(opening, "values", list, args.opening), f"{args.opening}: values")
    randomness = _scalars(_field(opening, "randomness", list, args.opening), args.opening)
    if not ranked.check_opened_ranking(
        public_key, sealed, values, ranked.RankingOpening(randomness)
    ):
        raise _fail("the ballot does not encrypt the ranking the opening claims")
    lines = [_check_tracking_code(args, opening, ranked.tracking_code(sealed))]
    ranking = ranked.ranking_from_values(values, question.candidates)
    if ranking is None:
        lines.append(f"{question.question_id}: a spoilt ranking (it would not be counted)")
        return lines
    labels = _labels(shape, opening.get("ranked"), count=question.candidates)
    if not ranking:
        lines.append(f"{question.question_id}: (blank)")
    for position, number in enumerate(ranking, start=1):
        lines.append(f"{question.question_id}: {position}. {labels[number - 1]}")
    return lines
