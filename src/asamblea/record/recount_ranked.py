"""Recounting sealed ranked votes from the record (entries: :mod:`asamblea.record.entries.ranked`).

For an ``election_ranked_counted`` entry, from the record alone:

1. the rules, seats, method and seed are those announced at ``election_opened`` (the seed against
   its commitment); ``election_ranked_sealing`` gives the board's key (the one its
   ``trustee_board_ready`` entry states), the seal id and the ballot's shape, which must be the one
   the rules give;
2. every sealed ballot of ``election_ranked_ballots`` is in canonical form, sorted by tracking
   code, proved under that key, seal id, question and its rank positions, and repeats no
   ciphertext; chunk digests chain to ``election_ranked_closed``, whose count is the voters';
3. ``election_rankings_shuffled`` v2 names the trustees' mix and the decryption request of its
   output: the mix (``mix_requested``) is of this election's sealed ballots (board, seal id,
   question, count, width), has as many rounds as the board's threshold, and exactly those
   rounds are proved on the record before it (``shuffle_proved`` 1..rounds, each by a different
   trustee of the board); the request's digest is recomputed from the LAST round's published
   output, so what the trustees decrypted is what the mix produced. Each round's proof (its
   input being the sealed ballots or the round before) is checked by
   :mod:`asamblea.record.recount_mixing`, the recounter of ``shuffle_proved``, which
   ``asamblea verify`` runs on every such entry.
   A v1 entry (ADR 0014's UNPROVEN server shuffle, no longer written) is read only when dated
   before ``UNPROVEN_UNTIL``; for it nothing can check that the shuffled list holds the same
   rankings as the sealed ballots, only that it has as many;
4. the request's groups, board and subject are the shuffled list's; the published decrypted
   numbers are exactly the points ``g^m`` whose digest the request's ``decryption_completed``
   entry states; that digest follows from the trustees' partial decryptions and their proofs,
   which :mod:`asamblea.record.recount_trustees` checks;
5. the result is recounted with :func:`asamblea.rules.ballots.count` over the rankings those
   numbers spell, spoilt ones (a candidate twice, a gap) set aside and counted.

Pure: no Django.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

from asamblea.crypto import ranked
from asamblea.crypto.group import Point, point_from_text, small_multiple
from asamblea.crypto.shuffle_verify import InvalidShuffle, ballots_from_json
from asamblea.record.chunks import prechecked, register_chunk_type
from asamblea.record.encoding import parse_entry_line
from asamblea.record.entries import ranked as _entries  # noqa: F401  (registers the types)
from asamblea.record.entries.trustees import ciphertexts_digest, points_digest
from asamblea.record.recount import RecountMismatch
from asamblea.record.recount_mixing import round_outputs
from asamblea.rules.ballots import count, seed_commitment

# ADR 0014's unproven server shuffle (``election_rankings_shuffled`` v1) was replaced by the
# trustees' verifiable mix on 2026-12-07 (15:30 UTC): a v1 entry dated later is refused, so a
# server cannot fall back to the unproven shuffle on a new record.
UNPROVEN_UNTIL = "2026-12-07T15:30:00.000000Z"


def rank_positions(candidates: int, rules: Mapping[str, Any]) -> int:
    """How many rank positions a ranked ballot has: the rules' ``max_rankings`` (if any), never
    more than the candidates, at least one."""
    limit = int(rules.get("max_rankings") or candidates)
    return max(1, min(limit, candidates))


def chunk_digest(ballots: Sequence[Mapping[str, Any]]) -> str:
    return hashlib.sha256(bytes(rfc8785.dumps(list(ballots)))).hexdigest()


def chain_digests(digests: Iterable[str]) -> str:
    """The hash chain of the chunks' digests, in chunk order."""
    h = hashlib.sha256(b"asamblea/ranked-ballot-chunks/v1").digest()
    for d in digests:
        h = hashlib.sha256(h + bytes.fromhex(d)).digest()
    return h.hex()


def rankings_from_values(
    values: Sequence[Sequence[int]], keys: Sequence[str]
) -> tuple[list[dict[str, Any]], int]:
    """The ballots to count (``{"ranking": [keys]}``) and how many were spoilt."""
    ballots: list[dict[str, Any]] = []
    spoilt = 0
    for row in values:
        numbers = ranked.ranking_from_values(row, len(keys))
        if numbers is None:
            spoilt += 1
        else:
            ballots.append({"ranking": [keys[m - 1] for m in numbers]})
    return ballots, spoilt


@dataclass(frozen=True)
class RankedChunkCheck:
    """What one checked ``election_ranked_ballots`` chunk contributes to the checks across
    chunks: its number, ballots, digest, first and last tracking codes and every alpha. Small
    and picklable, so a worker process can send it back (asamblea.record.chunks)."""

    chunk: int
    ballots: int
    digest: str
    first: str
    last: str
    alphas: tuple[bytes, ...]
    # Each ballot's rank ciphertexts as published ([alpha, beta] texts), in order: the input of
    # the first shuffle of the mix (asamblea.record.recount_mixing).
    ranks: tuple[tuple[tuple[str, str], ...], ...] = ()


def check_ranked_chunk(
    chunk: Mapping[str, Any],
    *,
    public_key: str,
    seal_id: str,
    question: ranked.RankedQuestion,
) -> RankedChunkCheck:
    """Check one chunk alone: its digest, each ballot canonical and sorted by tracking code,
    every proof under ``Context(seal_id, question, public_key)``, no ciphertext twice inside it.
    Self-contained (texts in, texts out) for a worker process. Raises naming chunk and ballot."""
    where = f"election {chunk.get('election')}: election_ranked_ballots chunk {chunk.get('chunk')}"
    raw = list(chunk.get("ballots") or [])
    if chunk_digest(raw) != chunk.get("digest"):
        raise RecountMismatch(f"{where}: the digest does not match its ballots")
    key = point_from_text(public_key)
    seen: set[bytes] = set()
    codes: list[str] = []
    for i, obj in enumerate(raw):
        try:
            ballot = ranked.ranking_from_json(obj)
            if ranked.ranking_to_json(ballot) != obj:
                raise ranked.InvalidRanking("not in canonical form")
            ranked.verify_ranking(key, seal_id, question, ballot)
        except ranked.InvalidRanking as exc:
            raise RecountMismatch(f"{where}, ballot {i}: {exc}") from None
        code = ranked.tracking_code(ballot)
        if codes and code <= codes[-1]:
            raise RecountMismatch(f"{where}, ballot {i} ({code}): not sorted by tracking code")
        codes.append(code)
        if ranked.find_copied_rank(ballot, seen) is not None:
            raise RecountMismatch(f"{where}, ballot {i} ({code}): a ciphertext is a copy")
        seen.update(ranked.cast_fingerprints(ballot))
    return RankedChunkCheck(
        int(chunk.get("chunk", -1)),
        len(raw),
        str(chunk.get("digest")),
        codes[0] if codes else "",
        codes[-1] if codes else "",
        tuple(seen),
        tuple(tuple((str(a), str(b)) for a, b in obj["ranks"]) for obj in raw),
    )


def sealing_question(sealing: Mapping[str, Any]) -> ranked.RankedQuestion:
    return ranked.RankedQuestion(
        str(sealing["question"]), int(sealing["candidates"]), int(sealing["ranks"])
    )


def _all(entries: Iterable[Mapping[str, Any]], entry_type: str, **match: Any) -> list[Any]:
    return [
        e
        for e in entries
        if e.get("type") == entry_type and all(e.get(k) == v for k, v in match.items())
    ]


def _one(
    entries: Iterable[Mapping[str, Any]], where: str, entry_type: str, **match: Any
) -> Mapping[str, Any]:
    found = _all(entries, entry_type, **match)
    if len(found) != 1:
        raise RecountMismatch(f"{where}: expected one {entry_type} entry, found {len(found)}")
    return found[0]


def _chunks(
    entries: Sequence[Mapping[str, Any]], where: str, entry_type: str, **match: Any
) -> list[Mapping[str, Any]]:
    found = sorted(_all(entries, entry_type, **match), key=lambda e: int(e["chunk"]))
    if [int(e["chunk"]) for e in found] != list(range(len(found))):
        raise RecountMismatch(f"{where}: the {entry_type} chunks are not 0, 1, 2, ...")
    return found


def check_sealed_ballots(
    entries: Sequence[Mapping[str, Any]], election: int, opened: Mapping[str, Any], where: str
) -> tuple[Mapping[str, Any], int]:
    """Steps 1 and 2: the sealing, every sealed ballot and the close. Returns the sealing entry
    and the number of ballots."""
    keys = [c["key"] for c in opened["candidates"]]
    sealing = _one(entries, where, "election_ranked_sealing", election=election)
    ranks = rank_positions(len(keys), opened.get("rules") or {})
    if int(sealing["candidates"]) != len(keys) or int(sealing["ranks"]) != ranks:
        raise RecountMismatch(f"{where}: the sealed ballot's shape is not the one the rules give")
    boards = _all(entries, "trustee_board_ready", board=sealing["board"])
    if entries and [b.get("public_key") for b in boards] != [sealing["public_key"]]:
        raise RecountMismatch(f"{where}: the key is not board {sealing['board']}'s")
    question = sealing_question(sealing)
    closed = _one(entries, where, "election_ranked_closed", election=election)
    chunks = _chunks(entries, where, "election_ranked_ballots", election=election)
    if len(chunks) != int(closed["chunks"]) or any(int(c["chunks"]) != len(chunks) for c in chunks):
        raise RecountMismatch(f"{where}: {len(chunks)} ballot chunks, {closed['chunks']} closed")
    # A chunk the verifier already checked in a worker (asamblea.record.chunks) gives its outcome
    # (or raises its failure); any other is checked here.
    checks = [
        prechecked(c)
        or check_ranked_chunk(
            c,
            public_key=str(sealing["public_key"]),
            seal_id=str(sealing["seal_id"]),
            question=question,
        )
        for c in chunks
    ]
    if chain_digests(c.digest for c in checks) != closed["chain"]:
        raise RecountMismatch(f"{where}: the chunks do not chain to the close")
    previous = ""
    seen: set[bytes] = set()
    for c in checks:
        if c.ballots and c.first <= previous:
            raise RecountMismatch(f"{where}: chunk {c.chunk} is out of tracking-code order")
        previous = c.last or previous
        if seen.intersection(c.alphas):
            raise RecountMismatch(f"{where}: chunk {c.chunk} repeats a ciphertext (a copy)")
        seen.update(c.alphas)
    total = sum(c.ballots for c in checks)
    if total != int(closed["ballots"]) or total != int(closed["voters"]):
        raise RecountMismatch(
            f"{where}: {total} sealed ballots, {closed['ballots']} closed, {closed['voters']} voters"
        )
    if total > int(opened["roll"]["size"]):
        raise RecountMismatch(f"{where}: more ballots than members on the roll")
    return sealing, total


def decrypted_values(
    entries: Sequence[Mapping[str, Any]], election: int, request: int, where: str
) -> list[list[int]]:
    """The decrypted numbers of every shuffled ballot, chunk after chunk (no chunk missing)."""
    chunks = _chunks(
        entries, where, "election_rankings_decrypted", election=election, request=request
    )
    return [list(row) for e in chunks for row in e["values"]]


def recount_ranked(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    election = entry["election"]
    where = f"entry {entry.get('index')} (election {election}, ranked count)"
    opened = _one(entries, where, "election_opened", election=election)
    if seed_commitment(entry.get("seed", "")) != opened.get("seed_commitment"):
        raise RecountMismatch(f"{where}: the revealed seed does not match its commitment")
    for field in ("method", "seats", "rules"):
        if entry.get(field) != opened.get(field):
            raise RecountMismatch(f"{where}: {field} differs from the one announced at open")
    keys = [c["key"] for c in opened["candidates"]]
    sealing, sealed = check_sealed_ballots(entries, election, opened, where)
    shuffled_entries = _all(entries, "election_rankings_shuffled", election=election)
    if entry.get("request") == 0:
        # No ballot was cast: nothing was shuffled or decrypted.
        if sealed or shuffled_entries:
            raise RecountMismatch(f"{where}: counted as empty, but ballots were cast")
        _compare(entry, opened, keys, [], where)
        return
    shuffled = _one(entries, where, "election_rankings_shuffled", election=election)
    request = int(shuffled["request"])
    if request != entry.get("request"):
        raise RecountMismatch(f"{where}: counts request {entry.get('request')}, not {request}")
    if int(shuffled["ballots"]) != sealed:
        raise RecountMismatch(f"{where}: {shuffled['ballots']} shuffled of {sealed} sealed")
    for field in ("seal_id", "question", "ranks"):
        if shuffled[field] != sealing[field]:
            raise RecountMismatch(f"{where}: the shuffle's {field} is not the sealing's")
    if int(shuffled.get("v", 1)) >= 2:
        check_mix(entries, where, shuffled, sealing, sealed)
    elif str(shuffled.get("at", "")) >= UNPROVEN_UNTIL:
        raise RecountMismatch(
            f"{where}: the rankings were shuffled by the server, unproven (entry "
            f"{shuffled.get('index')}, v1), on a record written after the verifiable mix replaced it"
        )
    _check_request(entries, where, shuffled, sealing)
    values = decrypted_values(entries, election, request, where)
    if len(values) != sealed:
        raise RecountMismatch(f"{where}: {len(values)} decrypted ballots, {sealed} sealed")
    ranks = int(sealing["ranks"])
    points: list[Point] = []
    for n, row in enumerate(values, start=1):
        if len(row) != ranks or any(type(m) is not int or not 0 <= m <= len(keys) for m in row):
            raise RecountMismatch(
                f"{where}: decrypted ballot {n} is not {ranks} numbers 0..{len(keys)}"
            )
        points.extend(small_multiple(m) for m in row)
    completed = _one(entries, where, "decryption_completed", request=request)
    if points_digest([points]) != completed.get("points_digest"):
        raise RecountMismatch(
            f"{where}: the published rankings are not what the trustees decrypted"
            f" (entry {completed.get('index')})"
        )
    _compare(entry, opened, keys, values, where)


def _compare(
    entry: Mapping[str, Any],
    opened: Mapping[str, Any],
    keys: list[str],
    values: list[list[int]],
    where: str,
) -> None:
    if len(values) != int(entry["ballots"]):
        raise RecountMismatch(
            f"{where}: {len(values)} ballots decrypted, {entry['ballots']} counted"
        )
    ballots, spoilt = rankings_from_values(values, keys)
    if spoilt != int(entry["spoilt"]):
        raise RecountMismatch(f"{where}: {spoilt} spoilt ballots, {entry['spoilt']} recorded")
    again = count(
        opened["method"],
        keys,
        ballots,
        seats=int(opened["seats"]),
        seed=entry.get("seed", ""),
        rules=opened.get("rules") or {},
        roll_size=int(opened["roll"]["size"]),
    )
    if again != entry.get("result"):
        raise RecountMismatch(f"{where}: the recount differs from the recorded result")


def check_mix(
    entries: Sequence[Mapping[str, Any]],
    where: str,
    shuffled: Mapping[str, Any],
    sealing: Mapping[str, Any],
    sealed: int,
) -> None:
    """Step 3 for a v2 entry: the mix is this election's, complete, and its last round's output
    is what the decryption request holds (each round's proof: recount_mixing)."""
    election = shuffled["election"]
    mixes = _all(entries, "mix_requested", mix=shuffled["mix"])
    if len(mixes) != 1:
        raise RecountMismatch(f"{where}: expected one mix_requested {shuffled['mix']}")
    mix = mixes[0]
    expected = {
        "subject": f"election:{election}:rankings",
        "election": election,
        "board": sealing["board"],
        "seal_id": sealing["seal_id"],
        "question": sealing["question"],
        "ballots": sealed,
        "ranks": int(sealing["ranks"]),
        "rounds": shuffled["rounds"],
    }
    for field, value in expected.items():
        if mix.get(field) != value:
            raise RecountMismatch(
                f"{where}: mix {mix['mix']}'s {field} is {mix.get(field)!r}, not {value!r}"
            )
    created = _all(entries, "trustee_board_created", board=sealing["board"])
    rounds = int(shuffled["rounds"])
    if len(created) != 1 or int(created[0]["k"]) != rounds or rounds < 1:
        raise RecountMismatch(
            f"{where}: the mix needs as many shuffles as board {sealing['board']}'s threshold"
        )
    before = int(shuffled.get("index", len(entries)))
    proved = sorted(
        _all(entries, "shuffle_proved", election=election), key=lambda e: int(e["round"])
    )
    if [int(e["round"]) for e in proved] != list(range(1, rounds + 1)):
        raise RecountMismatch(
            f"{where}: the mix needs shuffles 1..{rounds} proved, the record has rounds "
            f"{[e['round'] for e in proved]}"
        )
    trustees = [e["trustee"] for e in proved]
    if len(set(trustees)) != rounds or not all(
        type(t) is int and 1 <= t <= int(created[0]["n"]) for t in trustees
    ):
        raise RecountMismatch(
            f"{where}: each shuffle must be by a different trustee of the board, not {trustees}"
        )
    if any(int(e.get("index", -1)) >= before for e in proved):
        raise RecountMismatch(f"{where}: a shuffle is recorded after the mix was declared done")
    outputs, _ = round_outputs(entries, proved[-1], where)
    if len(outputs) != sealed:
        raise RecountMismatch(f"{where}: the last shuffle has {len(outputs)} of {sealed} ballots")
    try:
        flat = [c for ballot in ballots_from_json(outputs, "output") for c in ballot]
    except InvalidShuffle as exc:
        raise RecountMismatch(f"{where}: the last shuffle's output: {exc}") from None
    digest = ciphertexts_digest([(str(sealing["seal_id"]), str(sealing["question"]), flat)])
    if digest != shuffled["digest"]:
        raise RecountMismatch(
            f"{where}: the list sent for decryption is not the last shuffle's output "
            f"(round {rounds} by trustee {proved[-1]['trustee']})"
        )


def _check_request(
    entries: Sequence[Mapping[str, Any]],
    where: str,
    shuffled: Mapping[str, Any],
    sealing: Mapping[str, Any],
) -> None:
    requested = _one(entries, where, "decryption_requested", request=shuffled["request"])
    expected = [
        {
            "election": shuffled["seal_id"],
            "question": shuffled["question"],
            "count": int(shuffled["ballots"]) * int(shuffled["ranks"]),
        }
    ]
    if requested.get("groups") != expected:
        raise RecountMismatch(
            f"{where}: request {shuffled['request']} does not ask for the shuffled rankings"
        )
    if requested.get("digest") != shuffled.get("digest"):
        raise RecountMismatch(f"{where}: the shuffled list's digest differs from the request's")
    if requested.get("board") != sealing.get("board"):
        raise RecountMismatch(f"{where}: the request goes to another board than the sealing's")
    if requested.get("subject") != f"election:{shuffled['election']}:rankings":
        raise RecountMismatch(f"{where}: request {shuffled['request']} is not this election's")


def _worker_params(sealing: Mapping[str, Any]) -> tuple[str, str, str, int, int]:
    return (
        str(sealing["public_key"]),
        str(sealing["seal_id"]),
        str(sealing["question"]),
        int(sealing["candidates"]),
        int(sealing["ranks"]),
    )


def check_ranked_chunk_line(
    line: bytes, public_key: str, seal_id: str, question: str, candidates: int, ranks: int
) -> RankedChunkCheck:
    """In a verifier's worker process: parse one chunk's line and check it."""
    return check_ranked_chunk(
        parse_entry_line(line),
        public_key=public_key,
        seal_id=seal_id,
        question=ranked.RankedQuestion(question, candidates, ranks),
    )


register_chunk_type(
    "election_ranked_ballots", "election_ranked_sealing", _worker_params, check_ranked_chunk_line
)

RECOUNTERS = {"election_ranked_counted": recount_ranked}
