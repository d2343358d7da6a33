"""Resharing a board's key to a new board (Desmedt-Jajodia / Wong-Wang-Wing): the same key,
new shares, any k' new trustees decrypt, and a dealing of the wrong share is named."""

from __future__ import annotations

import pytest

from asamblea.crypto.elgamal import DiscreteLog, encrypt
from asamblea.crypto.group import base_mul
from asamblea.crypto.reshare import (
    assemble_reshared,
    check_dealing,
    complete_reshare,
    deal,
)
from asamblea.crypto.threshold import (
    KeyGenerationError,
    KeyShare,
    assemble_board,
    combine,
    complete_key,
    make_polynomial,
    new_trustee,
    partial_decrypt,
)
from asamblea.crypto.transcript import BoardContext, Context


def _board(uid: str, k: int, n: int):  # type: ignore[no-untyped-def]
    ctx = BoardContext(uid, k, n)
    made = [new_trustee(ctx, i) for i in range(1, n + 1)]
    certs = [c for _s, c in made]
    polys = [make_polynomial(ctx, s, certs) for s, _c in made]
    done = [complete_key(ctx, s, certs, polys) for s, _c in made]
    params = assemble_board(ctx, certs, polys, [vk for _s, vk in done])
    return params, [s for s, _vk in done]


def test_reshare_keeps_the_key_and_new_shares_decrypt() -> None:
    old, old_shares = _board("org/old", 2, 3)
    new_ctx = BoardContext("org/new", 3, 4)
    made = [new_trustee(new_ctx, i) for i in range(1, 5)]
    certs = [c for _s, c in made]
    old_keys = {vk.index: vk.public for vk in old.verification_keys}
    # Trustee 2 lost their share: trustees 1 and 3 deal.
    dealings = [deal(new_ctx, "org/old", old_shares[i], certs) for i in (0, 2)]
    done = [complete_reshare(new_ctx, s, certs, "org/old", 2, old_keys, dealings) for s, _c in made]
    params = assemble_reshared(
        new_ctx, certs, "org/old", 2, old_keys, old.public_key, dealings, [vk for _s, vk in done]
    )
    assert params.public_key == old.public_key
    context = Context("org/election/1", "q1", params.public_key)
    cts = [encrypt(params.public_key, m)[0] for m in (3, 0, 7)]
    shares = [s for s, _vk in done]
    partials = [partial_decrypt(context, s, cts) for s in shares[1:]]
    assert combine(context, params, cts, partials, DiscreteLog(10)) == [3, 0, 7]
    # The new shares are not the old ones, and a new share alone is not the key.
    assert all(base_mul(s.secret) != params.public_key for s in shares)


def test_a_dealing_of_another_share_is_refused_naming_the_dealer() -> None:
    old, old_shares = _board("org/old", 2, 3)
    new_ctx = BoardContext("org/new", 2, 2)
    certs = [new_trustee(new_ctx, i)[1] for i in (1, 2)]
    # Trustee 3 deals a made-up share under its own index.
    forged = deal(new_ctx, "org/old", KeyShare(3, 12345), certs)
    with pytest.raises(KeyGenerationError) as err:
        check_dealing(new_ctx, "org/old", old.verification_key(3), forged)
    assert err.value.trustee == 3
    # A genuine dealing presented for another old board id fails its signature.
    honest = deal(new_ctx, "org/old", old_shares[0], certs)
    with pytest.raises(KeyGenerationError):
        check_dealing(new_ctx, "org/other", old.verification_key(1), honest)
