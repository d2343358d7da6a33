"""``asamblea verify`` on the exported record of a sealed ranked vote (issue 14): an honest mix by
the trustees verifies, chained from the sealed ballots through every shuffle to the decryption and
the count; a shuffle that a dishonest server let onto the record (a trustee's forgery accepted
without the server's check, so the record is signed and hashes correctly) fails, and the failure
names the step: which shuffle, which trustee, which check.

The forgeries: (a) one ciphertext replaced in a shuffle's output, (b) two outputs swapped,
(c) a re-encryption under a wrong key, (d) generators with a known discrete log: a mixer who
knows ``h_i = x_i*G`` turns its own ballot's candidate 2 into candidate 3 and builds a proof that
a verifier using THOSE generators accepts; ``asamblea verify`` derives its own generators from
hash-to-group over the election and the index and refuses it.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "elections"))
from elections_builders import build_world, open_election, record_entries  # noqa: E402

from asamblea.crypto import ranked as R  # noqa: E402
from asamblea.crypto import shuffle as S  # noqa: E402
from asamblea.crypto import shuffle_verify as V  # noqa: E402
from asamblea.crypto.elgamal import Ciphertext, encrypt  # noqa: E402
from asamblea.crypto.group import (  # noqa: E402
    base_mul,
    point_from_text,
    random_scalar,
)
from asamblea.crypto.transcript import Context  # noqa: E402
from asamblea.elections import actions  # noqa: E402
from asamblea.elections.models import Election  # noqa: E402
from asamblea.trustees.actions import mixing  # noqa: E402
from asamblea.trustees.models import DecryptionRequest, MixRequest, Trustee  # noqa: E402
from fixtures.shuffle_forgery import forge_with_trapdoor  # noqa: E402
from fixtures.trustees import decrypt, shuffle  # noqa: E402

pytestmark = pytest.mark.django_db

Ballots = list[tuple[Ciphertext, ...]]
# A forger: (context, inputs) -> (outputs, proof as JSON).
Forger = Callable[[Context, Ballots], tuple[Ballots, dict[str, Any]]]


def _closed_irv(world: Any) -> tuple[Election, R.RankingOpening, str]:
    """A closed IRV vote of 3 candidates; the first ballot is sealed "in the browser" (its
    opening kept: the forger of case (d) is that voter's trustee, who knows its own ballot)."""
    election, codes = open_election(world, method="irv", candidates=3)
    keys = actions.candidate_keys(election)
    a, b, c = keys
    code_list = list(codes.values())
    own, opening = R.seal_ranking(
        point_from_text(election.public_key), election.seal_id, R.RankedQuestion("q1", 3, 3), [2]
    )
    actions.check_cast(
        election,
        code_list[0],
        None,
        secrets.token_urlsafe(24),
        sealed=R.canonical_bytes(own).decode(),
    )
    for code, ranking in zip(code_list[1:], [[a, b], [a], [b, a, c], [c, b], [a, c]], strict=False):
        actions.check_cast(election, code, {"ranking": ranking}, secrets.token_urlsafe(24))
    actions.do_close_election(world.officers[0], election)
    election.refresh_from_db()
    return election, opening, R.tracking_code(own)


def _current(mix: MixRequest) -> Ballots:
    mix.refresh_from_db()
    return V.ballots_from_json(mix.current, "current")


def _context(mix: MixRequest) -> Context:
    return Context(mix.seal_id, mix.question, point_from_text(mix.board.public_key))


def _post_unchecked(mix: MixRequest, index: int, outputs: Ballots, proof: dict[str, Any]) -> None:
    """A dishonest server: the trustee's shuffle is accepted WITHOUT check_post_shuffle's check
    (straight into the door), so it is published, signed and chained like an honest one."""
    trustee = Trustee.objects.get(board=mix.board, index=index)
    mixing.do_post_shuffle(
        trustee.user, mix, trustee, mix.shuffles.count() + 1, S.ballots_to_json(outputs), proof
    )


def _verify(world: Any, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    from asamblea.recordstore import actions as record_actions
    from asamblea.recordstore.export import export_to_dir

    record_actions.do_sign_checkpoint(world.org)
    out = tmp_path / "record"
    export_to_dir(world.org, out)
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "asamblea", "verify", str(out), "--key", str(out / "key.pub")]
        + ["--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _run_mix(
    world: Any, election: Election, forge: Forger | None, forger: int = 2, *, count: bool = True
) -> None:
    """Trustee 1 shuffles honestly, then trustee ``forger`` posts ``forge``'s shuffle through
    the dishonest server (or honestly when ``forge`` is None); the trustees then decrypt the
    last output, and the completing partial counts it (unless ``count`` is false: a list
    re-encrypted under another key decrypts to no candidate numbers, and the count refuses it)."""
    mix = MixRequest.objects.get(subject=f"election:{election.pk}:rankings")
    shuffle(mix, [1])
    if forge is None:
        shuffle(mix, [forger])
    else:
        outputs, proof = forge(_context(mix), _current(mix))
        _post_unchecked(mix, forger, outputs, proof)
    if not count:
        return
    request = DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings")
    decrypt(request, world.shares[:2])
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED


def test_an_honest_mix_verifies_from_the_sealed_ballots_to_the_count(tmp_path: Path) -> None:
    world = build_world(8)
    election, _opening, _code = _closed_irv(world)
    _run_mix(world, election, None)
    done = _verify(world, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    recounted = next(line for line in done.stdout.splitlines() if line.startswith("recounted:"))
    assert "shuffle_proved 2" in recounted and "election_ranked_counted 1" in recounted
    assert "OK: the record verifies." in done.stdout


def _replace_one(context: Context, inputs: Ballots) -> tuple[Ballots, dict[str, Any]]:
    """(a) The mixer replaces one ciphertext of its output by an encryption of its choosing and
    proves the rest honestly."""
    outputs, rho, psi = S.gen_shuffle(context.public_key, inputs)
    first = list(outputs[0])
    first[0] = encrypt(context.public_key, 3)[0]
    outputs[0] = tuple(first)
    return outputs, S.proof_to_json(S.gen_shuffle_proof(context, inputs, outputs, rho, psi))


def _swap_two(context: Context, inputs: Ballots) -> tuple[Ballots, dict[str, Any]]:
    """(b) The mixer swaps two outputs after shuffling (so they are not where its committed
    permutation says) and proves with that permutation."""
    outputs, rho, psi = S.gen_shuffle(context.public_key, inputs)
    outputs[0], outputs[1] = outputs[1], outputs[0]
    return outputs, S.proof_to_json(S.gen_shuffle_proof(context, inputs, outputs, rho, psi))


def _wrong_key(context: Context, inputs: Ballots) -> tuple[Ballots, dict[str, Any]]:
    """(c) The mixer re-encrypts under a key of its own (whose secret it knows), not the
    board's, and proves under the board's context."""
    other = base_mul(random_scalar())
    outputs, rho, psi = S.gen_shuffle(other, inputs)
    return outputs, S.proof_to_json(S.gen_shuffle_proof(context, inputs, outputs, rho, psi))


@pytest.mark.parametrize(
    ("forge", "step", "reason"),
    [
        (_replace_one, "t4", "rank 1: the outputs are not re-encryptions"),
        (_swap_two, "t4", "not re-encryptions"),
        (_wrong_key, "t4", "rank 1: the outputs are not re-encryptions"),
    ],
    ids=["one-ciphertext-replaced", "two-outputs-swapped", "wrong-key"],
)
def test_a_forged_shuffle_fails_verify_naming_round_trustee_and_step(
    tmp_path: Path, forge: Forger, step: str, reason: str
) -> None:
    world = build_world(8)
    election, _opening, _code = _closed_irv(world)
    _run_mix(world, election, forge, forger=3, count=forge is not _wrong_key)
    done = _verify(world, tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"election {election.pk}, shuffle 2 by trustee 3" in said, said
    assert f"shuffle proof, step {step}: " in said and reason in said, said


# --- (d) generators with a known discrete log ---------------------------------------------------


def test_a_shuffle_proved_under_generators_with_known_logs_fails_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(8)
    election, opening, own_code = _closed_irv(world)
    mix = MixRequest.objects.get(subject=f"election:{election.pk}:rankings")
    # Round 1, by the forger: its own ballot is where the record published it (tracking-code
    # order), the input of round 1.
    published = [
        R.tracking_code(R.ranking_from_json(b))
        for e in record_entries(world.org, "election_ranked_ballots")
        for b in e["ballots"]
    ]
    own = published.index(own_code)
    inputs = _current(mix)
    context = _context(mix)
    xs = [random_scalar() for _ in range(len(inputs) + 1)]
    hs = [base_mul(x) for x in xs]
    outputs, proof = forge_with_trapdoor(context, inputs, own, opening.randomness, hs, xs)
    # The forgery is what the attack claims: a verifier that takes the forger's generators (as
    # the flawed system did) accepts it, and it turned a 2 into a 3.
    checked = V.proof_from_json(proof)
    with monkeypatch.context() as m:
        m.setattr(V, "independent_generators", lambda e, q, count: hs)
        V.check_shuffle_proof(context, inputs, outputs, checked)
    with pytest.raises(V.InvalidShuffle):
        V.check_shuffle_proof(context, inputs, outputs, checked)
    _post_unchecked(mix, 2, outputs, proof)
    shuffle(mix, [3])
    decrypt(
        DecryptionRequest.objects.get(subject=f"election:{election.pk}:rankings"), world.shares[:2]
    )
    election.refresh_from_db()
    assert election.state == Election.State.COUNTED
    done = _verify(world, tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert f"election {election.pk}, shuffle 1 by trustee 2" in said, said
    assert "shuffle proof, step " in said, said
