"""Re-checking the trustees' work from the public record alone (pure: no Django, no database).

One pass over an organisation's log (:func:`check_trustees`) replays, for every standing board:

- its key generation (Belenios 2.0 section 3.1.1, messages of 4.6): each certificate's signature
  and fingerprint, each polynomial's signature and proofs of knowledge of its coefficients, each
  verification key against the dealers' commitments with its proof, each in the order the
  ceremony allows; then ``assemble_board`` again, whose joint key must be the one the
  ``trustee_board_ready`` entry states;
- every decryption: the request's ciphertexts (chunks complete, in order, matching its digest),
  each trustee's partial decryption verified chunk by chunk against that trustee's verification
  key (4.18), and each completion: the k lowest-numbered partials posted before it, combined
  with Lagrange coefficients (4.19), must give the decrypted points whose digest it states.

A failure is reported at the entry that is wrong, naming the trustee and the step (for a
decryption: the request, the group and the position). ``RECOUNTERS`` hooks this into ``asamblea
verify`` (asamblea.record.plugins); the pass runs once per log and each recounter reads its
verdict. :func:`decrypted_points` gives the elections' own recount the ``g^m`` of a request.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from asamblea.crypto.elgamal import Ciphertext
from asamblea.crypto.group import Point, point_from_text
from asamblea.crypto.proofs import verify_secret_key
from asamblea.crypto.reshare import (
    Dealing,
    assemble_reshared,
    check_dealing,
    check_verification_key,
)
from asamblea.crypto.threshold import (
    Certificate,
    InvalidPartialDecryption,
    KeyGenerationError,
    PartialDecryption,
    Polynomial,
    ThresholdParameters,
    VerificationKey,
    _check_polynomial,
    _committed_value,
    assemble_board,
    combine_positions,
    fingerprint,
    sum_points,
    verify_certificate,
    verify_partial_decryption,
)
from asamblea.crypto.transcript import BoardContext, Context, index_bytes
from asamblea.record.entries.trustees import (
    CHUNK,
    MessageError,
    board_key_fingerprint,
    certificate_from_json,
    chunks,
    ciphertext_from_json,
    ciphertexts_digest,
    dealing_from_json,
    points_digest,
    polynomial_from_json,
    proof_from_json,
    verification_key_from_json,
)
from asamblea.record.recount import RecountMismatch


class _Fail(Exception):
    pass


@dataclass
class _Board:
    uid: str
    k: int
    n: int
    certs: dict[int, Certificate] = field(default_factory=dict)
    polys: dict[int, Polynomial] = field(default_factory=dict)
    vks: dict[int, VerificationKey] = field(default_factory=dict)
    params: ThresholdParameters | None = None
    replaces: _Board | None = None
    dealings: dict[int, Dealing] = field(default_factory=dict)
    retired: bool = False

    @property
    def context(self) -> BoardContext:
        return BoardContext(self.uid, self.k, self.n)


@dataclass
class _Request:
    board: _Board
    subject: str
    groups: list[tuple[str, str, int]]
    digest: str
    ciphertexts: list[list[Ciphertext]]
    # partials[trustee][group] = factors so far (chunks in order)
    partials: dict[int, list[list[Point]]] = field(default_factory=dict)
    points: list[list[Point]] | None = None

    def complete(self) -> bool:
        return all(
            len(cts) == count
            for cts, (_e, _q, count) in zip(self.ciphertexts, self.groups, strict=True)
        )


@dataclass
class _Pending:
    """A partial decryption's chunk being checked in a worker (``check_trustees`` with a pool)."""

    index: int  # its entry
    key: tuple[int, int, int]  # request, trustee, group
    chunk: int
    where: str
    start: int
    future: Future[tuple[str, str] | None]


@dataclass
class TrusteesState:
    """What one pass over a log found: the boards, the requests and each wrong entry."""

    boards: dict[str, _Board] = field(default_factory=dict)
    requests: dict[int, _Request] = field(default_factory=dict)
    failures: dict[int, str] = field(default_factory=dict)
    # With a pool, partial decryptions' chunks are checked ahead in workers (``_partial``).
    pool: Executor | None = None
    pending: list[_Pending] = field(default_factory=list)
    in_flight: deque[Future[Any]] = field(default_factory=deque)

    def throttle(self, future: Future[Any]) -> None:
        """At most a few chunks per worker in flight, so that memory stays bounded."""
        self.in_flight.append(future)
        while len(self.in_flight) > 4 * (os.cpu_count() or 1):
            wait([self.in_flight.popleft()])


# From this many partial decryptions on a log, their chunks are checked in worker processes on
# every core (the pass stays one, in log order; the outcome is the same, tested both ways).
PARALLEL_FROM = 20_000


def check_trustees(entries: Sequence[dict[str, Any]], jobs: int | None = None) -> TrusteesState:
    """Replay every trustees' entry of one log; failures are keyed by entry index."""
    state = TrusteesState()
    jobs = jobs or os.cpu_count() or 1
    factors = sum(
        len(e.get("factors") or ()) for e in entries if e["type"] == "partial_decryption_posted"
    )
    if jobs >= 2 and factors >= PARALLEL_FROM:
        state.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    try:
        for entry in entries:
            handler = _HANDLERS.get(entry["type"])
            if handler is None:
                continue
            try:
                handler(state, entry)
            except _Fail as exc:
                state.failures[entry["index"]] = str(exc)
            except (MessageError, ValueError, KeyError, TypeError) as exc:
                state.failures[entry["index"]] = f"{entry['type']}: malformed: {exc}"
        _settle(state, lambda p: True)
    finally:
        if state.pool is not None:
            state.pool.shutdown(wait=True, cancel_futures=True)
            state.pool = None
    return state


def _board(state: TrusteesState, uid: str) -> _Board:
    board = state.boards.get(uid)
    if board is None:
        raise _Fail(f"board {uid} was never created on this record")
    return board


def _created(state: TrusteesState, e: dict[str, Any]) -> None:
    if e["board"] in state.boards:
        raise _Fail(f"board {e['board']} is created twice")
    if not 2 <= e["k"] <= e["n"] <= 15:
        raise _Fail(f"board {e['board']}: k = {e['k']}, n = {e['n']} are not allowed")
    names = [t["index"] for t in e["trustees"]]
    if names != list(range(1, e["n"] + 1)):
        raise _Fail(f"board {e['board']}: trustees must be numbered 1..{e['n']}")
    board = _Board(e["board"], e["k"], e["n"])
    if e["replaces"] is not None:
        old = _board(state, e["replaces"])
        if old.params is None or old.retired:
            raise _Fail(f"board {e['board']} replaces board {old.uid}, which is not ready")
        board.replaces = old
    state.boards[e["board"]] = board


def _keygen(state: TrusteesState, e: dict[str, Any], j: int, step: str) -> _Board:
    board = _board(state, e["board"])
    if board.params is not None:
        raise _Fail(f"trustee {j}, step {step}: the board is already assembled")
    if not 1 <= j <= board.n:
        raise _Fail(f"trustee {j}, step {step}: no such trustee on board {board.uid}")
    return board


def _certificate(state: TrusteesState, e: dict[str, Any]) -> None:
    j = e["trustee"]
    board = _keygen(state, e, j, "certificate")
    cert = certificate_from_json(e["certificate"])
    if j in board.certs:
        raise _Fail(f"trustee {j}, step certificate: published twice")
    if cert.index != j or not verify_certificate(board.context, cert):
        raise _Fail(f"trustee {j}, step certificate: the signature does not verify")
    if fingerprint(cert) != e["fingerprint"]:
        raise _Fail(f"trustee {j}, step certificate: the fingerprint is not the certificate's")
    board.certs[j] = cert


def _old_keys(old: _Board) -> dict[int, Point]:
    assert old.params is not None
    return {vk.index: vk.public for vk in old.params.verification_keys}


def _dealt(state: TrusteesState, e: dict[str, Any]) -> None:
    board = _board(state, e["board"])
    dealing = dealing_from_json(e["dealing"])
    i = dealing.dealer
    where = f"old trustee {i}, step dealing"
    old = board.replaces
    if old is None or old.uid != e["replaces"]:
        raise _Fail(f"{where}: board {board.uid} does not replace {e['replaces']}")
    if board.params is not None:
        raise _Fail(f"{where}: the board is already assembled")
    if len(board.certs) != board.n:
        raise _Fail(f"{where}: dealt before every new certificate")
    if i in board.dealings or len(board.dealings) >= old.k:
        raise _Fail(f"{where}: dealt twice, or more than {old.k} dealings")
    keys = _old_keys(old)
    if i not in keys:
        raise _Fail(f"{where}: no such trustee on board {old.uid}")
    try:
        check_dealing(board.context, old.uid, keys[i], dealing)
    except KeyGenerationError as exc:
        raise _Fail(f"{where}: {exc.reason}") from None
    board.dealings[i] = dealing


def _polynomial(state: TrusteesState, e: dict[str, Any]) -> None:
    j = e["dealer"]
    board = _keygen(state, e, j, "polynomial")
    if board.replaces is not None:
        raise _Fail(f"trustee {j}, step polynomial: a reshared board has no polynomials")
    if len(board.certs) != board.n:
        raise _Fail(f"trustee {j}, step polynomial: published before every certificate")
    if j in board.polys:
        raise _Fail(f"trustee {j}, step polynomial: published twice")
    poly = polynomial_from_json(e["polynomial"])
    try:
        _check_polynomial(board.context, board.certs[j], poly)
    except KeyGenerationError as exc:
        raise _Fail(f"trustee {j}, step polynomial: {exc.reason}") from None
    board.polys[j] = poly


def _verification_key(state: TrusteesState, e: dict[str, Any]) -> None:
    j = e["trustee"]
    board = _keygen(state, e, j, "verification key")
    if j in board.vks:
        raise _Fail(f"trustee {j}, step verification key: published twice")
    vk = verification_key_from_json(e["verification_key"])
    if board.replaces is not None:
        if len(board.dealings) != board.replaces.k:
            raise _Fail(f"trustee {j}, step verification key: published before the dealings")
        try:
            if vk.index != j:
                raise KeyGenerationError(j, "made for another index")
            check_verification_key(board.context, _dealings(board), vk)
        except KeyGenerationError as exc:
            raise _Fail(f"trustee {j}, step verification key: {exc.reason}") from None
        board.vks[j] = vk
        return
    if len(board.polys) != board.n:
        raise _Fail(f"trustee {j}, step verification key: published before every polynomial")
    polys = [board.polys[i] for i in range(1, board.n + 1)]
    combined = [sum_points(p.coefexps[c] for p in polys) for c in range(board.k)]
    if vk.index != j or vk.public != _committed_value(combined, j):
        raise _Fail(f"trustee {j}, step verification key: does not match the commitments")
    if not verify_secret_key(
        board.context, vk.public, vk.pok, bound=(b"verification", index_bytes(j))
    ):
        raise _Fail(f"trustee {j}, step verification key: no proof of knowledge of the share")
    board.vks[j] = vk


def _ready(state: TrusteesState, e: dict[str, Any]) -> None:
    board = _board(state, e["board"])
    if board.params is not None:
        raise _Fail(f"board {board.uid} is assembled twice")
    if len(board.vks) != board.n:
        raise _Fail(f"board {board.uid}: ready before every verification key")
    order = range(1, board.n + 1)
    try:
        if board.replaces is not None:
            old = board.replaces
            assert old.params is not None
            params = assemble_reshared(
                board.context,
                [board.certs[i] for i in order],
                old.uid,
                old.k,
                _old_keys(old),
                old.params.public_key,
                _dealings(board),
                [board.vks[i] for i in order],
            )
        else:
            params = assemble_board(
                board.context,
                [board.certs[i] for i in order],
                [board.polys[i] for i in order],
                [board.vks[i] for i in order],
            )
    except KeyGenerationError as exc:
        raise _Fail(f"trustee {exc.trustee}, step assembly: {exc.reason}") from None
    except ValueError as exc:
        raise _Fail(f"board {board.uid}: {exc}") from None
    if point_from_text(e["public_key"]) != params.public_key:
        raise _Fail(f"board {board.uid}: the joint key is not the one the trustees' messages give")
    if e["fingerprint"] != board_key_fingerprint(board.uid, params.public_key):
        raise _Fail(f"board {board.uid}: the key's fingerprint is wrong")
    board.params = params


def _dealings(board: _Board) -> list[Dealing]:
    return [board.dealings[i] for i in sorted(board.dealings)]


def _retired(state: TrusteesState, e: dict[str, Any]) -> None:
    board = _board(state, e["board"])
    if board.retired:
        raise _Fail(f"board {board.uid} is retired twice")
    if e["successor"] is not None:
        new = _board(state, e["successor"])
        if new.replaces is not board or new.params is None:
            raise _Fail(f"board {board.uid}: {new.uid} is not its ready successor")
    board.retired = True


def _requested(state: TrusteesState, e: dict[str, Any]) -> None:
    board = _board(state, e["board"])
    if board.retired:
        raise _Fail(f"request {e['request']}: board {board.uid} is retired")
    if board.params is None:
        raise _Fail(f"request {e['request']}: board {board.uid} is not ready")
    if e["request"] in state.requests:
        raise _Fail(f"request {e['request']} is made twice")
    groups = [(g["election"], g["question"], g["count"]) for g in e["groups"]]
    state.requests[e["request"]] = _Request(
        board, e["subject"], groups, e["digest"], [[] for _ in groups]
    )


def _request(state: TrusteesState, rid: int) -> _Request:
    request = state.requests.get(rid)
    if request is None:
        raise _Fail(f"request {rid} was never made on this record")
    return request


def _ciphertexts(state: TrusteesState, e: dict[str, Any]) -> None:
    request = _request(state, e["request"])
    g = e["group"]
    if not 0 <= g < len(request.groups):
        raise _Fail(f"request {e['request']}: no group {g}")
    have = request.ciphertexts[g]
    if e["chunk"] * CHUNK != len(have) or not e["ciphertexts"] or len(e["ciphertexts"]) > CHUNK:
        raise _Fail(f"request {e['request']}, group {g}: chunk {e['chunk']} out of order or size")
    have += [ciphertext_from_json(c, f"ciphertexts[{i}]") for i, c in enumerate(e["ciphertexts"])]
    if len(have) > request.groups[g][2]:
        raise _Fail(f"request {e['request']}, group {g}: more ciphertexts than announced")
    if request.complete():
        digest = ciphertexts_digest(
            [
                (el, q, cts)
                for (el, q, _c), cts in zip(request.groups, request.ciphertexts, strict=True)
            ]
        )
        if digest != request.digest:
            raise _Fail(f"request {e['request']}: the ciphertexts do not match its digest")


def _partial(state: TrusteesState, e: dict[str, Any]) -> None:
    rid, j, g, c = e["request"], e["trustee"], e["group"], e["chunk"]
    request = _request(state, rid)
    where = f"trustee {j}, step partial decryption of request {rid}, group {g}"
    if not request.complete():
        raise _Fail(f"{where}: posted before every ciphertext of the request")
    if request.points is not None:
        raise _Fail(f"{where}: posted after the request was decrypted")
    params = request.board.params
    assert params is not None
    if not 0 <= g < len(request.groups) or not 1 <= j <= request.board.n:
        raise _Fail(f"{where}: no such group or trustee")
    mine = request.partials.setdefault(j, [[] for _ in request.groups])
    cts = request.ciphertexts[g]
    slices = chunks(len(cts))

    def in_order() -> bool:
        return c < len(slices) and slices[c][0] == len(mine[g])

    if not in_order() and any(p.key == (rid, j, g) for p in state.pending):
        # The chunks taken ahead may not all hold: settle them, then ask again.
        _settle(state, lambda p: p.key == (rid, j, g))
    if not in_order():
        raise _Fail(f"{where}: chunk {c} posted twice or out of order")
    start, stop = slices[c]
    piece = PartialDecryption(
        j,
        tuple(point_from_text(f) for f in e["factors"]),
        tuple(proof_from_json(p, f"proofs[{i}]") for i, p in enumerate(e["proofs"])),
    )
    election, question, _count = request.groups[g]
    context = Context(election, question, params.public_key)
    if state.pool is None:
        _raise_failure(where, start, _chunk_outcome(context, params, cts[start:stop], piece))
    else:
        # Checked in a worker; its factors count from now on, as if it held (``_settle`` takes
        # them back, with every later chunk of the same trustee and group, if it does not).
        future = state.pool.submit(_chunk_outcome, context, params, cts[start:stop], piece)
        state.pending.append(_Pending(e["index"], (rid, j, g), c, where, start, future))
        state.throttle(future)
    mine[g] += list(piece.factors)


def _chunk_outcome(
    context: Context, params: Any, cts: Sequence[Ciphertext], piece: PartialDecryption
) -> tuple[str, str] | None:
    """One chunk's check, in a worker or here: None, ``("proof", reason)`` or
    ``("malformed", message)``, exactly what the one-process check raised."""
    try:
        verify_partial_decryption(context, params, cts, piece)
    except InvalidPartialDecryption as exc:
        return ("proof", exc.reason)
    except (MessageError, ValueError, KeyError, TypeError) as exc:
        return ("malformed", str(exc))
    return None


def _raise_failure(where: str, start: int, outcome: tuple[str, str] | None) -> None:
    if outcome is None:
        return
    kind, reason = outcome
    if kind == "malformed":
        raise _Fail(f"partial_decryption_posted: malformed: {reason}")
    words = reason.split()
    at = start + int(words[1]) if words[0] == "proof" and words[1].isdigit() else start
    raise _Fail(f"{where}, position {at}: {reason}")


def _settle(state: TrusteesState, which: Callable[[_Pending], bool]) -> None:
    """Wait for the chunks taken ahead that ``which`` selects, in log order. A chunk that fails
    is recorded at its entry, as the one-process check would; its factors and those of every
    later chunk of the same trustee and group are taken back, and those later chunks fail as
    out of order (which is what the one-process check says of them)."""
    chosen = [p for p in state.pending if which(p)]
    state.pending = [p for p in state.pending if not which(p)]
    failed: dict[tuple[int, int, int], int] = {}
    for p in chosen:
        if p.key in failed:
            p.future.cancel()
            state.failures[p.index] = f"{p.where}: chunk {p.chunk} posted twice or out of order"
            continue
        try:
            _raise_failure(p.where, p.start, p.future.result())
        except _Fail as exc:
            state.failures[p.index] = str(exc)
            failed[p.key] = p.start
    for (rid, j, g), start in failed.items():
        del state.requests[rid].partials[j][g][start:]


def _combine_slice(task: tuple[list[Point], list[list[Point]], list[int]]) -> list[Point]:
    """The decrypted points of a slice (4.19), in a worker or here."""
    return combine_positions(*task)


def _completed(state: TrusteesState, e: dict[str, Any]) -> None:
    rid = e["request"]
    request = _request(state, rid)
    _settle(state, lambda p: p.key[0] == rid)
    if request.points is not None:
        raise _Fail(f"request {rid} is completed twice")
    full = sorted(
        j
        for j, groups in request.partials.items()
        if all(len(f) == len(cts) for f, cts in zip(groups, request.ciphertexts, strict=True))
    )
    k = request.board.k
    if len(full) < k:
        raise _Fail(
            f"request {rid}: completed with {len(full)} valid partial decryptions, {k} needed"
        )
    if e["trustees"] != full[:k]:
        raise _Fail(f"request {rid}: combined trustees {e['trustees']}, expected {full[:k]}")
    points: list[list[Point]] = []
    for g, cts in enumerate(request.ciphertexts):
        betas = [c.beta for c in cts]
        columns = [request.partials[j][g] for j in full[:k]]
        tasks = [(betas[a:b], [col[a:b] for col in columns], full[:k]) for a, b in chunks(len(cts))]
        done = (
            map(_combine_slice, tasks)
            if state.pool is None
            else state.pool.map(_combine_slice, tasks)
        )
        points.append([p for part in done for p in part])
    if points_digest(points) != e["points_digest"]:
        raise _Fail(f"request {rid}: the combination does not give the stated decryption")
    if e["subject"] != request.subject:
        raise _Fail(f"request {rid}: completed under another subject")
    request.points = points


_HANDLERS = {
    "trustee_board_created": _created,
    "trustee_certificate_published": _certificate,
    "trustee_polynomial_published": _polynomial,
    "trustee_verification_key_published": _verification_key,
    "trustee_board_ready": _ready,
    "trustee_share_dealt": _dealt,
    "trustee_board_retired": _retired,
    "decryption_requested": _requested,
    "decryption_ciphertexts": _ciphertexts,
    "partial_decryption_posted": _partial,
    "decryption_completed": _completed,
}

# One pass per log: the recounters of a verify run share it (keyed by the list's identity and
# length, so a log that grew is checked again).
_last: tuple[int, int, TrusteesState] | None = None


def state_for(entries: Sequence[dict[str, Any]]) -> TrusteesState:
    global _last
    if _last is None or _last[0] != id(entries) or _last[1] != len(entries):
        _last = (id(entries), len(entries), check_trustees(entries))
    return _last[2]


def decrypted_points(entries: Sequence[dict[str, Any]], request: int) -> list[list[Point]] | None:
    """The ``g^m`` of a completed request, as the record's partials combine (None if not)."""
    found = state_for(entries).requests.get(request)
    return None if found is None else found.points


def recount(entry: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    failure = state_for(entries).failures.get(entry["index"])
    if failure is not None:
        raise RecountMismatch(failure)


RECOUNTERS = dict.fromkeys(_HANDLERS, recount)
