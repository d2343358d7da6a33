"""Checking the verifiable mix of sealed ranked ballots from the record (entries:
:mod:`asamblea.record.entries.mixing`; docs/adr/0015-mixnet.md).

For a ``shuffle_proved`` entry (round ``r`` by trustee ``t``), from the record alone:

1. the context: ``election_ranked_sealing`` of that election gives the key, the seal id and the
   question every proof is bound to;
2. the input list: round 1 takes the sealed ballots as ``election_ranked_ballots`` published them
   (their ``ranks``; the ballots and their own proofs are checked by
   :mod:`asamblea.record.recount_ranked`); round ``r > 1`` takes round ``r - 1``'s output, which
   must have been proved earlier on the record (one ``shuffle_proved`` per round);
3. the output list and the proof's per-ballot parts: the ``ballots_shuffled`` chunks of this round,
   numbered 0, 1, ..., each matching its digest, chaining to the entry's ``chain``, as many
   ballots as the input, each as wide as the input's;
4. the proof, by :func:`asamblea.crypto.shuffle_verify.check_shuffle_proof` (which derives the
   generators itself); a failure names the round, the trustee and the step.

Pure: no Django. Memory: one election's ciphertexts (two lists at a time), never the record's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from asamblea.crypto.group import point_from_text
from asamblea.crypto.shuffle_verify import (
    InvalidShuffle,
    ballots_from_json,
    check_shuffle_proof,
    proof_from_json,
)
from asamblea.crypto.transcript import Context
from asamblea.record.chunks import prechecked
from asamblea.record.entries import mixing as _entries  # noqa: F401  (registers the types)
from asamblea.record.entries.mixing import FIXED, PER_BALLOT, chain_digests, chunk_digest
from asamblea.record.recount import RecountMismatch


def _all(entries: Sequence[Mapping[str, Any]], kind: str, **match: Any) -> list[Mapping[str, Any]]:
    return [
        e for e in entries if e.get("type") == kind and all(e.get(k) == v for k, v in match.items())
    ]


def _chunks(
    entries: Sequence[Mapping[str, Any]], where: str, kind: str, **match: Any
) -> list[Mapping[str, Any]]:
    found = sorted(_all(entries, kind, **match), key=lambda e: int(e["chunk"]))
    if [int(e["chunk"]) for e in found] != list(range(len(found))):
        raise RecountMismatch(f"{where}: the {kind} chunks are not 0, 1, 2, ...")
    return found


def sealed_inputs(
    entries: Sequence[Mapping[str, Any]], election: int, where: str
) -> list[list[list[str]]]:
    """The sealed ballots' rank ciphertexts, in published order (round 1's input)."""
    out: list[list[list[str]]] = []
    for chunk in _chunks(entries, where, "election_ranked_ballots", election=election):
        ballots = chunk.get("ballots")
        if isinstance(ballots, list):
            out.extend([list(pair) for pair in b["ranks"]] for b in ballots)
            continue
        # Checked ahead in a worker (asamblea.record.chunks): the check kept the ciphertexts.
        checked = prechecked(chunk)
        if checked is None:
            raise RecountMismatch(f"{where}: a sealed ballot chunk has no ballots")
        out.extend([list(pair) for pair in ranks] for ranks in checked.ranks)
    return out


def round_outputs(
    entries: Sequence[Mapping[str, Any]], proved: Mapping[str, Any], where: str
) -> tuple[list[list[list[str]]], dict[str, list[str]]]:
    """A round's output ballots and the per-ballot parts of its proof, chunks checked."""
    chunks = _chunks(
        entries,
        where,
        "ballots_shuffled",
        election=proved["election"],
        round=proved["round"],
    )
    if len(chunks) != int(proved["chunks"]) or any(
        int(c["chunks"]) != len(chunks) or c["trustee"] != proved["trustee"] for c in chunks
    ):
        raise RecountMismatch(f"{where}: {len(chunks)} shuffled chunks, {proved['chunks']} proved")
    digests = []
    for c in chunks:
        if chunk_digest(c) != c["digest"]:
            raise RecountMismatch(f"{where}: chunk {c['chunk']} does not match its digest")
        lengths = {len(c[k]) for k in PER_BALLOT}
        if len(lengths) != 1:
            raise RecountMismatch(f"{where}: chunk {c['chunk']} has lists of unequal lengths")
        digests.append(str(c["digest"]))
    if chain_digests(digests) != proved["chain"]:
        raise RecountMismatch(f"{where}: the shuffled chunks do not chain to the proof")
    outputs = [b for c in chunks for b in c["ballots"]]
    parts = {k: [x for c in chunks for x in c[k]] for k in PER_BALLOT if k != "ballots"}
    return outputs, parts


def recount_shuffle(entry: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> None:
    election, rnd, trustee = entry["election"], int(entry["round"]), entry["trustee"]
    where = f"entry {entry.get('index')} (election {election}, shuffle {rnd} by trustee {trustee})"
    index = int(entry.get("index", len(entries)))
    earlier = entries[:index] if entries and "index" in entry else entries
    same = _all(entries, "shuffle_proved", election=election, round=rnd)
    if len(same) != 1:
        raise RecountMismatch(f"{where}: {len(same)} proofs of round {rnd}")
    sealing = _all(earlier, "election_ranked_sealing", election=election)
    if len(sealing) != 1:
        raise RecountMismatch(f"{where}: expected one election_ranked_sealing before the shuffle")
    context = Context(
        str(sealing[0]["seal_id"]),
        str(sealing[0]["question"]),
        point_from_text(str(sealing[0]["public_key"])),
    )
    if rnd == 1:
        inputs = sealed_inputs(earlier, election, where)
    else:
        before = _all(earlier, "shuffle_proved", election=election, round=rnd - 1)
        if len(before) != 1:
            raise RecountMismatch(f"{where}: round {rnd - 1} is not proved before round {rnd}")
        inputs, _ = round_outputs(earlier, before[0], where)
    outputs, parts = round_outputs(earlier, entry, where)
    if len(outputs) != int(entry["ballots"]) or len(inputs) != len(outputs):
        raise RecountMismatch(
            f"{where}: {len(inputs)} ballots in, {len(outputs)} out, {entry['ballots']} stated"
        )
    proof_obj = {"v": 1, **parts, **{k: entry[k] for k in FIXED}}
    try:
        proof = proof_from_json(proof_obj)
        check_over_cores(
            context,
            ballots_from_json(inputs, "input"),
            ballots_from_json(outputs, "output"),
            proof,
        )
    except InvalidShuffle as exc:
        raise RecountMismatch(f"{where}: {exc}") from None


# From this many ciphertexts in a round (ballots x ranks), the long sums of the check (``t3``,
# ``t4`` per rank, ``t_hat``: nearly all of it) run in worker processes on every core.
PARALLEL_FROM = 20_000


def check_over_cores(
    context: Context, inputs: Any, outputs: Any, proof: Any, jobs: int | None = None
) -> None:
    """``check_shuffle_proof`` with its tasks spread over ``jobs`` processes (default: every
    core); the same outcome, the same step named on failure."""
    width = len(inputs[0]) if inputs else 0
    if jobs is None:
        jobs = os.cpu_count() or 1
    if len(inputs) * width < PARALLEL_FROM or jobs < 2:
        check_shuffle_proof(context, inputs, outputs, proof)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        check_shuffle_proof(context, inputs, outputs, proof, mapper=pool.map)


RECOUNTERS = {"shuffle_proved": recount_shuffle}
