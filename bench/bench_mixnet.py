"""The verifiable mix of sealed ranked ballots (crypto/shuffle.py, crypto/shuffle_verify.py).

    .venv/bin/python bench/bench_mixnet.py [--ballots 300] [--candidates 10] [--rounds 3]
        [--pipeline 0]

1. Per ballot per core: ``--ballots`` sealed rankings of ``--candidates`` candidates (one
   ciphertext per rank, all ranks used: the widest ballot), shuffled with proof by one process
   (``shuffle_with_proof``), then the proof checked by one process (``check_shuffle_proof``,
   from the JSON texts as the record carries them). The cost is linear in ballots x ranks.
2. ``--rounds`` trustees shuffling in turn over the same list, each round verified: what the
   record's verifier does for a mixed election (before the decryption, which is the trustees'
   existing partial decryption of ``ballots x ranks`` ciphertexts, measured by ADR 0014).
3. ``--pipeline N`` (0 skips it): the same for N ballots, the issue's 10,000-ballot STV election
   (goal: mixed by 3 trustees, decrypted and verified in under 10 minutes on 2 cores).

Nothing is asserted: figures are printed for docs/adr/0015-mixnet.md. The comparison with
belenios-tool's ``shuffle`` is not written yet.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from asamblea.crypto import shuffle as S  # noqa: E402
from asamblea.crypto import shuffle_verify as V  # noqa: E402
from asamblea.crypto.elgamal import Ciphertext, encrypt  # noqa: E402
from asamblea.crypto.group import base_mul, random_scalar  # noqa: E402
from asamblea.crypto.transcript import Context  # noqa: E402
from asamblea.record.recount_mixing import PARALLEL_FROM, check_over_cores  # noqa: E402


def _ballots(key: bytes, n: int, c: int) -> list[tuple[Ciphertext, ...]]:
    # Each ballot ranks every candidate (a rotation): c ciphertexts of 1..c.
    return [tuple(encrypt(key, 1 + (i + k) % c)[0] for k in range(c)) for i in range(n)]  # type: ignore[arg-type]


def _round(ctx: Context, ballots: list[tuple[Ciphertext, ...]]) -> tuple[list, float, float]:  # type: ignore[type-arg]
    t0 = time.process_time()
    outputs, proof = S.shuffle_with_proof(ctx, ballots)
    prove = time.process_time() - t0
    inputs_json, outputs_json, proof_json = (
        S.ballots_to_json(ballots),
        S.ballots_to_json(outputs),
        S.proof_to_json(proof),
    )
    t0 = time.process_time()
    V.check_shuffle_proof(
        ctx,
        V.ballots_from_json(inputs_json),
        V.ballots_from_json(outputs_json),
        V.proof_from_json(proof_json),
    )
    verify = time.process_time() - t0
    t0 = time.perf_counter()
    check_over_cores(
        ctx,
        V.ballots_from_json(inputs_json),
        V.ballots_from_json(outputs_json),
        V.proof_from_json(proof_json),
    )
    wall = time.perf_counter() - t0
    cores = os.cpu_count() or 1
    if len(ballots) * len(ballots[0]) >= PARALLEL_FROM and cores > 1:
        print(f"  the same verification over {cores} cores (asamblea verify): {wall:,.1f} s wall")
    return outputs, prove, verify


def run(n: int, c: int, rounds: int, label: str) -> None:
    key = base_mul(random_scalar())
    ctx = Context("bench/election/1", "q1", key)
    ballots = _ballots(key, n, c)
    print(f"== {label}: {n:,} ballots x {c} ranks, {rounds} shuffle(s) ==")
    total_p = total_v = 0.0
    for r in range(1, rounds + 1):
        ballots, prove, verify = _round(ctx, ballots)
        total_p += prove
        total_v += verify
        print(
            f"round {r}: shuffle+proof {prove:,.1f} s CPU ({1e3 * prove / n:,.2f} ms/ballot), "
            f"verify {verify:,.1f} s CPU ({1e3 * verify / n:,.2f} ms/ballot)"
        )
    print(
        f"per ballot per core, {c} candidates: shuffle with proof {1e3 * total_p / n / rounds:,.2f} ms, "
        f"verification {1e3 * total_v / n / rounds:,.2f} ms; "
        f"{rounds} rounds: {total_p:,.1f} s proving, {total_v:,.1f} s verifying (one core)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=300)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pipeline", type=int, default=0)
    args = parser.parse_args()
    run(args.ballots, args.candidates, args.rounds, "per ballot")
    if args.pipeline:
        run(args.pipeline, args.candidates, args.rounds, "pipeline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
