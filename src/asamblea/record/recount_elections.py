"""Elections and recall votes as the public record states them, and their recount.

Pure Python, no Django: the server counts with :func:`asamblea.rules.ballots.count` and anyone
recounts from the exported record with :func:`recount`, so the two cannot disagree by
construction.

Entries this module reads (payload fields besides ``type``, ``v``, ``index``, ``at``):

- ``election_opened`` v1: ``election`` (id), ``kind``, ``title``, ``unit``, ``body``, ``seats``,
  ``method``, ``rules``, ``candidates`` ([{"key", "name"}] in ballot-paper order), ``roll``
  ({"size", "commitment"}), ``seed_commitment`` (SHA-256 hex of the seed).
- ``election_closed`` v1: ``election``, ``voters``, ``tracking_codes`` and ``ballots``: two
  independently shuffled lists; a ballot is canonical JSON content (see :func:`canonical_ballot`).
- ``credentials_reissued`` v1: ``election``, ``count``, ``reissued_at`` (checked against the roll
  size: see :func:`check_ballots_within_roll`).
- ``election_counted`` v1: ``election``, ``method``, ``seats``, ``rules``, ``seed`` (revealed),
  ``result`` (what :func:`count` returns).

A sealed vote (docs/adr/0013-sealed-votes-threat-model.md) is recounted from:

- ``election_sealing`` v1: the board, its ``public_key``, the ``seal_id`` every proof is bound to
  and the question's shape;
- ``ballots_published`` v1 chunks and ``election_closed`` v2 (count, chunks, hash chain): every
  ballot's proofs are checked under its context (:func:`check_ballot_chunk`, one chunk at a time
  and in parallel if the caller wishes), no ciphertext may repeat (a copy), and the chain must
  match;
- ``election_tallied`` v1: the encrypted tally, which must be the sum of the published ballots,
  and the trustees' ``decryption_requested`` entry, whose digest must name that very tally;
- ``election_tally_decrypted`` v1 and ``decryption_completed``: the decrypted totals must give the
  very points the trustees' partial decryptions combined to (``points_digest``; the partials
  themselves are checked by :mod:`asamblea.record.recount_trustees`);
- ``election_counted`` v2: the result, recounted from the totals.

Ballot formats and the count itself are rules (:mod:`asamblea.rules.ballots`); this module
replays them over the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from asamblea.crypto.ballot import (
    InvalidBallot,
    Question,
    ballot_from_json,
    ballot_to_json,
    cast_fingerprints,
    tracking_code,
    verify_ballot,
)
from asamblea.crypto.elgamal import ZERO, Ciphertext, add_ciphertexts
from asamblea.crypto.group import point_from_text, point_to_text, small_multiple
from asamblea.record.chunks import prechecked, register_chunk_type

# The typed classes of the entries this module reads (importing registers them).
from asamblea.record.encoding import parse_entry_line
from asamblea.record.entries import elections as _entries  # noqa: F401
from asamblea.rules.ballots import (  # noqa: F401  (re-exported: the record's readers use them)
    APPROVAL,
    PLURALITY,
    YESNO,
    BallotError,
    ballot_kind,
    canonical_ballot,
    count,
    count_totals,
    dumps,
    sealed_answers,
    sealed_question,
    seed_commitment,
)


def _mismatch(message: str) -> Exception:
    try:
        from asamblea.record.recount import RecountMismatch
    except ImportError:  # the record's recount table is not there: a local stand-in
        return RecountMismatchError(message)
    return RecountMismatch(message)


class RecountMismatchError(Exception):
    """Raised when :mod:`asamblea.record.recount` (and its ``RecountMismatch``) is absent."""


def _find(
    entries: Iterable[Mapping[str, Any]], entry_type: str, election: int
) -> Mapping[str, Any]:
    found = [e for e in entries if e.get("type") == entry_type and e.get("election") == election]
    if len(found) != 1:
        raise _mismatch(f"election {election}: expected one {entry_type} entry, found {len(found)}")
    return found[0]


def recount(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    """Recount an ``election_counted`` entry from the record alone; raise on any difference."""
    if entry.get("v") == 2:
        recount_sealed(entry, entries)
        return
    election = entry["election"]
    opened = _find(entries, "election_opened", election)
    closed = _find(entries, "election_closed", election)
    seed = entry.get("seed", "")
    if seed_commitment(seed) != opened.get("seed_commitment"):
        raise _mismatch(f"election {election}: the revealed seed does not match its commitment")
    for field in ("method", "seats", "rules"):
        if entry.get(field) != opened.get(field):
            raise _mismatch(f"election {election}: {field} differs from the one announced at open")
    ballots = [json.loads(b) if isinstance(b, str) else b for b in closed["ballots"]]
    if len(ballots) != closed.get("voters") or len(closed.get("tracking_codes", [])) != len(
        ballots
    ):
        raise _mismatch(f"election {election}: ballots, tracking codes and voters differ in number")
    check_ballots_within_roll(election, opened, closed, entries)
    keys = [c["key"] for c in opened["candidates"]]
    for b in ballots:
        try:
            content = canonical_ballot(opened["method"], b, keys, opened.get("rules") or {})
        except BallotError as exc:
            raise _mismatch(f"election {election}: a published ballot is invalid: {exc}") from None
        if json.loads(content) != b:
            raise _mismatch(f"election {election}: a published ballot is not canonical")
    again = count(
        opened["method"],
        keys,
        ballots,
        seats=opened["seats"],
        seed=seed,
        rules=opened.get("rules") or {},
        roll_size=opened["roll"]["size"],
    )
    if again != entry.get("result"):
        raise _mismatch(f"election {election}: the recount differs from the recorded result")


def check_ballots_within_roll(
    election: int,
    opened: Mapping[str, Any],
    closed: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
) -> None:
    """No stuffing through reissued cards: ballots <= credentials issued at open.

    One credential is issued per roll entry at open (``election_opened``'s ``roll.size``); a
    reissue (``credentials_reissued``) *replaces* a member's code, deleting the old one, so it
    never adds a credential: the bound stays the roll size however many cards were reissued.
    Each reissue also replaces at most the roll's size.
    """
    size = int(opened["roll"]["size"])
    published = len(closed.get("ballots", []))
    if published > size:
        raise _mismatch(
            f"election {election}: entry {closed.get('index')} (election_closed) publishes "
            f"{published} ballots, more than the {size} credentials issued at open"
        )
    for e in entries:
        reissue = e.get("type") == "credentials_reissued" and e.get("election") == election
        if reissue and int(e.get("count", 0)) > size:
            raise _mismatch(
                f"election {election}: entry {e.get('index')} (credentials_reissued) "
                f"replaces {e.get('count')} cards, more than the roll's {size}"
            )


def recount_meeting(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    """Recompute a general meeting's recall decision from the tellers' agreed figures."""
    from asamblea.rules.recall import RecallRules

    petition = entry["petition"]
    found = [
        e
        for e in entries
        if e.get("type") == "recall_petition_opened" and e.get("petition") == petition
    ]
    if len(found) != 1:
        raise _mismatch(f"recall petition {petition}: its opening entry is missing")
    opened = found[0]
    rules = RecallRules.from_settings({"recall": opened.get("rules") or {}})
    present, yes, no, abstain = (entry[k] for k in ("present", "yes", "no", "abstain"))
    if yes + no + abstain > present:
        raise _mismatch(f"recall petition {petition}: more votes than members present")
    decision = rules.vote_result(
        yes, no, abstain, present - yes - no - abstain, opened["roll"]["size"]
    )
    if json.loads(dumps(decision.as_dict())) != entry.get("decision"):
        raise _mismatch(f"recall petition {petition}: the decision does not follow from the count")


# --- sealed votes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkCheck:
    """What one verified chunk contributes: its position and digest, its ballots' count, the
    alpha of every ciphertext (to find copies across chunks) and, per question, the sum of its
    ballots' ciphertexts as point texts (small, so a worker process can send it back)."""

    chunk: int
    ballots: int
    digest: str
    alphas: tuple[bytes, ...]
    sums: tuple[tuple[tuple[str, str], ...], ...]


def chunk_digest(ballots: Sequence[Mapping[str, Any]]) -> str:
    return hashlib.sha256(rfc8785.dumps(list(ballots))).hexdigest()


def chain_digests(digests: Iterable[str]) -> str:
    """The hash chain of the chunks' digests, in chunk order."""
    h = hashlib.sha256(b"asamblea/ballot-chunks/v1").hexdigest()
    for d in digests:
        h = hashlib.sha256(bytes.fromhex(h) + bytes.fromhex(d)).hexdigest()
    return h


def sealed_questions(sealing: Mapping[str, Any]) -> list[Question]:
    return [
        Question(q["id"], len(q["answers"]), int(q["min"]), int(q["max"]))
        for q in sealing["questions"]
    ]


def check_ballot_chunk(
    chunk: Mapping[str, Any], *, public_key: str, seal_id: str, questions: Sequence[Question]
) -> ChunkCheck:
    """Check one ``ballots_published`` chunk alone: its digest, each ballot canonical and sorted
    by tracking code, every proof under ``Context(seal_id, question, public_key)``, no
    ciphertext twice inside it. Pure and self-contained (texts in, texts out), so a verifier can
    run chunks in parallel worker processes. Raises naming the chunk and the ballot."""
    where = f"election {chunk.get('election')}: ballots_published chunk {chunk.get('chunk')}"
    raw = list(chunk.get("ballots") or [])
    if chunk_digest(raw) != chunk.get("digest"):
        raise _mismatch(f"{where}: the digest does not match its ballots")
    key = point_from_text(public_key)
    alphas: list[bytes] = []
    seen: set[bytes] = set()
    sums = [[ZERO] * q.choices for q in questions]
    previous = ""
    for i, obj in enumerate(raw):
        try:
            ballot = ballot_from_json(obj)
            if ballot_to_json(ballot) != obj:
                raise InvalidBallot("not in canonical form")
            verify_ballot(key, seal_id, questions, ballot)
        except InvalidBallot as exc:
            raise _mismatch(f"{where}, ballot {i}: {exc}") from None
        code = tracking_code(ballot)
        if code <= previous:
            raise _mismatch(f"{where}, ballot {i}: not sorted by tracking code")
        previous = code
        for fp in cast_fingerprints(ballot):
            if fp in seen:
                raise _mismatch(f"{where}, ballot {i} ({code}): a ciphertext is a copy")
            seen.add(fp)
            alphas.append(fp)
        for q, answer in enumerate(ballot.answers):
            sums[q] = [add_ciphertexts(t, c) for t, c in zip(sums[q], answer.choices, strict=True)]
    return ChunkCheck(
        int(chunk.get("chunk", -1)),
        len(raw),
        str(chunk.get("digest")),
        tuple(alphas),
        tuple(
            tuple((point_to_text(c.alpha), point_to_text(c.beta)) for c in question)
            for question in sums
        ),
    )


def _ciphertexts(pairs: Iterable[Sequence[str]]) -> list[Ciphertext]:
    return [Ciphertext(point_from_text(a), point_from_text(b)) for a, b in pairs]


def check_sealed_ballots(
    election: int,
    sealing: Mapping[str, Any],
    closed: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    checks: Iterable[ChunkCheck] | None = None,
) -> list[list[Ciphertext]]:
    """Every chunk of the election checked (or ``checks``, computed by the caller in parallel),
    then across chunks: numbering, chain, count, no ciphertext in two ballots. Returns the sum
    of all ballots per question: the encrypted tally as it must be."""
    chunks = [
        e for e in entries if e.get("type") == "ballots_published" and e.get("election") == election
    ]
    questions = sealed_questions(sealing)
    if checks is None:
        # A chunk the verifier already checked in a worker (asamblea.record.chunks) gives its
        # outcome (or raises its failure); any other is checked here.
        checks = [
            prechecked(c)
            or check_ballot_chunk(
                c,
                public_key=sealing["public_key"],
                seal_id=sealing["seal_id"],
                questions=questions,
            )
            for c in chunks
        ]
    by_chunk = sorted(checks, key=lambda c: c.chunk)
    numbers = [c.chunk for c in by_chunk]
    if numbers != list(range(closed["chunks"])) or len(chunks) != closed["chunks"]:
        raise _mismatch(
            f"election {election}: chunks {numbers} published, 0..{closed['chunks'] - 1} announced"
        )
    if chain_digests(c.digest for c in by_chunk) != closed.get("chain"):
        raise _mismatch(f"election {election}: the chunks' hash chain does not match the close")
    total = sum(c.ballots for c in by_chunk)
    if total != closed.get("ballots") or total != closed.get("voters"):
        raise _mismatch(f"election {election}: ballots, voters and chunks differ in number")
    seen: set[bytes] = set()
    for c in by_chunk:
        for fp in c.alphas:
            if fp in seen:
                raise _mismatch(
                    f"election {election}: chunk {c.chunk} repeats a ciphertext cast in "
                    "another ballot (a copy)"
                )
            seen.add(fp)
    sums = [[ZERO] * q.choices for q in questions]
    for c in by_chunk:
        for q, part in enumerate(c.sums):
            sums[q] = [
                add_ciphertexts(t, x) for t, x in zip(sums[q], _ciphertexts(part), strict=True)
            ]
    return sums


def recount_sealed(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    """Recount an ``election_counted`` v2 entry: ballots, tally, decryption, result, each step
    named when it fails."""
    from asamblea.record.entries.trustees import ciphertexts_digest, points_digest

    election = entry["election"]
    opened = _find(entries, "election_opened", election)
    sealing = _find(entries, "election_sealing", election)
    closed = _find(entries, "election_closed", election)
    tallied = _find(entries, "election_tallied", election)
    decrypted = _find(entries, "election_tally_decrypted", election)
    seed = entry.get("seed", "")
    if seed_commitment(seed) != opened.get("seed_commitment"):
        raise _mismatch(f"election {election}: the revealed seed does not match its commitment")
    for field in ("method", "seats", "rules"):
        if entry.get(field) != opened.get(field):
            raise _mismatch(f"election {election}: {field} differs from the one announced at open")
    keys = [c["key"] for c in opened["candidates"]]
    method, rules = opened["method"], opened.get("rules") or {}
    expected = sealed_question(method, keys, rules)
    answers = sealed_answers(method, keys)
    shape = [
        {
            "id": expected.question_id,
            "answers": answers,
            "min": expected.min_selected,
            "max": expected.max_selected,
        }
    ]
    if sealing.get("questions") != shape:
        raise _mismatch(f"election {election}: the sealed question does not match the ballot")
    check_ballots_within_roll(election, opened, {"ballots": [None] * closed["ballots"]}, entries)
    # Step 1: the ballots.
    sums = check_sealed_ballots(election, sealing, closed, entries)
    # Step 2: the encrypted tally is the sum of the published ballots.
    tally = {t["question"]: t["ciphertexts"] for t in tallied["tally"]}
    for question, total in zip(sealed_questions(sealing), sums, strict=True):
        published = _ciphertexts(tally.get(question.question_id) or [])
        if published != total or tallied.get("ballots") != closed["ballots"]:
            raise _mismatch(
                f"election {election}: the encrypted tally of {question.question_id} is not the "
                "sum of the published ballots"
            )
    # Step 3: the trustees were asked to decrypt that very tally.
    request = tallied["request"]
    asked = [
        e
        for e in entries
        if e.get("type") == "decryption_requested" and e.get("request") == request
    ]
    groups = [
        (sealing["seal_id"], q.question_id, total)
        for q, total in zip(sealed_questions(sealing), sums, strict=True)
    ]
    if len(asked) != 1 or asked[0].get("digest") != ciphertexts_digest(groups):
        raise _mismatch(
            f"election {election}: decryption request {request} is not of the published tally"
        )
    # Step 4: the totals are what the trustees' partial decryptions combine to.
    totals = {t["question"]: t["totals"] for t in decrypted["totals"]}
    if decrypted.get("request") != request or entry.get("totals") != decrypted.get("totals"):
        raise _mismatch(f"election {election}: the counted totals are not the decrypted ones")
    completed = [
        e
        for e in entries
        if e.get("type") == "decryption_completed" and e.get("request") == request
    ]
    points = [
        [small_multiple(int(t)) for t in totals.get(q.question_id) or []]
        for q in sealed_questions(sealing)
    ]
    if len(completed) != 1 or completed[0].get("points_digest") != points_digest(points):
        raise _mismatch(
            f"election {election}: the decrypted totals do not follow from the trustees' "
            f"partial decryptions of request {request}"
        )
    # Step 5: the result.
    again = count_totals(
        method,
        keys,
        totals[expected.question_id],
        closed["ballots"],
        seats=opened["seats"],
        seed=seed,
        rules=rules,
        roll_size=opened["roll"]["size"],
    )
    if entry.get("ballots") != closed["ballots"] or again != entry.get("result"):
        raise _mismatch(f"election {election}: the recount differs from the recorded result")


def _sealing_params(sealing: Mapping[str, Any]) -> tuple[str, str, list[dict[str, Any]]]:
    return (
        str(sealing["public_key"]),
        str(sealing["seal_id"]),
        [dict(q) for q in sealing["questions"]],
    )


def check_chunk_line(
    line: bytes, public_key: str, seal_id: str, questions: list[dict[str, Any]]
) -> ChunkCheck:
    """In a verifier's worker process: parse one ``ballots_published`` line and check it."""
    return check_ballot_chunk(
        parse_entry_line(line),
        public_key=public_key,
        seal_id=seal_id,
        questions=sealed_questions({"questions": questions}),
    )


register_chunk_type("ballots_published", "election_sealing", _sealing_params, check_chunk_line)

RECOUNTERS = {"election_counted": recount, "recall_meeting_result": recount_meeting}
