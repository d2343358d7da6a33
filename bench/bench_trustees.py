"""Benchmark of the trustees' work (pure crypto, no Django): a board's key generation as each
trustee and the server run it, one trustee's partial decryption of a request and the server's
verification of it, resharing, and the offline re-check of all of it (record/recount_trustees).

    .venv/bin/python bench/bench_trustees.py [--ciphertexts 1000]
"""

from __future__ import annotations

import argparse
import time

from asamblea.crypto.elgamal import encrypt
from asamblea.crypto.reshare import assemble_reshared, complete_reshare, deal
from asamblea.crypto.threshold import (
    assemble_board,
    complete_key,
    make_polynomial,
    new_trustee,
    partial_decrypt,
    verify_partial_decryption,
)
from asamblea.crypto.transcript import BoardContext, Context


def _t(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:,.1f} ms"


def keygen(k: int, n: int):  # type: ignore[no-untyped-def]
    ctx = BoardContext(f"bench/{k}-{n}", k, n)
    started = time.perf_counter()
    made = [new_trustee(ctx, i) for i in range(1, n + 1)]
    certs = [c for _s, c in made]
    t_cert = _t(started)
    started = time.perf_counter()
    polys = [make_polynomial(ctx, s, certs) for s, _c in made]
    t_poly = f"{(time.perf_counter() - started) * 1000 / n:,.1f} ms"
    started = time.perf_counter()
    done = [complete_key(ctx, s, certs, polys) for s, _c in made]
    t_vk = f"{(time.perf_counter() - started) * 1000 / n:,.1f} ms"
    started = time.perf_counter()
    params = assemble_board(ctx, certs, polys, [vk for _s, vk in done])
    t_assemble = _t(started)
    print(
        f"  {k:>2} of {n:>2}: {n} certificates {t_cert}; a polynomial {t_poly} per trustee; "
        f"checking all and the verification key {t_vk} per trustee; assembly {t_assemble}"
    )
    return params, [s for s, _vk in done], made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ciphertexts", type=int, default=1000)
    args = parser.parse_args()
    print("== key generation (Belenios 2.0 Pedersen), one core ==")
    for k, n in ((2, 3), (3, 5), (5, 9), (8, 15)):
        params, shares, _made = keygen(k, n)
    params, shares, _made = keygen(3, 5)
    m = args.ciphertexts
    print(f"== one trustee's partial decryption of {m:,} ciphertexts ==")
    context = Context("bench/election/1", "q1", params.public_key)
    cts = [encrypt(params.public_key, i % 5)[0] for i in range(m)]
    started = time.perf_counter()
    partial = partial_decrypt(context, shares[0], cts)
    elapsed = time.perf_counter() - started
    print(f"  made: {elapsed * 1000:,.0f} ms ({elapsed * 1e6 / m:,.0f} us per ciphertext)")
    started = time.perf_counter()
    verify_partial_decryption(context, params, cts, partial)
    elapsed = time.perf_counter() - started
    print(f"  verified: {elapsed * 1000:,.0f} ms ({elapsed * 1e6 / m:,.0f} us per ciphertext)")
    print("== resharing 3 of 5 to 3 of 5 ==")
    new_ctx = BoardContext("bench/new", 3, 5)
    made = [new_trustee(new_ctx, i) for i in range(1, 6)]
    certs = [c for _s, c in made]
    old_keys = {vk.index: vk.public for vk in params.verification_keys}
    started = time.perf_counter()
    dealings = [deal(new_ctx, params.board.board_id, s, certs) for s in shares[:3]]
    print(f"  a dealing: {(time.perf_counter() - started) * 1000 / 3:,.1f} ms per old trustee")
    started = time.perf_counter()
    done = [
        complete_reshare(new_ctx, s, certs, params.board.board_id, 3, old_keys, dealings)
        for s, _c in made
    ]
    print(f"  a new share: {(time.perf_counter() - started) * 1000 / 5:,.1f} ms per new trustee")
    started = time.perf_counter()
    assemble_reshared(
        new_ctx,
        certs,
        params.board.board_id,
        3,
        old_keys,
        params.public_key,
        dealings,
        [vk for _s, vk in done],
    )
    print(f"  assembly: {_t(started)}")


if __name__ == "__main__":
    main()
