"""k trustees shuffle a list of ranked ballots in turn; the server checks each proof before
accepting; the record carries every round and verifies offline; forgeries, repeats, stale rounds
and strangers are refused with nothing written."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from asamblea.core.action import System, door
from asamblea.core.errors import ActionError
from asamblea.core.permissions import Forbidden
from asamblea.crypto import shuffle as S
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog, encrypt
from asamblea.crypto.group import point_from_text, point_to_text
from asamblea.crypto.threshold import KeyShare
from asamblea.crypto.transcript import Context
from asamblea.record.recount_mixing import recount_shuffle
from asamblea.trustees.actions import mixing
from asamblea.trustees.models import MixRequest, MixShuffle, Trustee, TrusteeBoard
from fixtures.trustees import make_board, make_trustee_user

pytestmark = pytest.mark.django_db

MIXED: list[tuple[int, list[tuple[Ciphertext, ...]]]] = []


def _on_mixed(ctx: Any, mix: MixRequest, ballots: list[tuple[Ciphertext, ...]]) -> None:
    ctx.audit("test.mixed", mix)
    MIXED.append((mix.pk, ballots))


mixing.register_mix_completion("testmix", _on_mixed)

SEAL = "sindicato/election/9"


@door("test.request_mix")
def _request(ctx: Any, board: TrusteeBoard, ballots: list[tuple[Ciphertext, ...]]) -> MixRequest:
    return mixing.request_mix(
        ctx, board, subject="testmix:9:rankings", election=9, seal_id=SEAL, question="q1",
        ballots=ballots,
    )  # fmt: skip


def _sealed(board: TrusteeBoard, rows: list[list[int]]) -> list[tuple[Ciphertext, ...]]:
    key = point_from_text(board.public_key)
    return [tuple(encrypt(key, m)[0] for m in row) for row in rows]


def _payload(mix: MixRequest) -> dict[str, Any]:
    """What ``asamblea trustee shuffle`` posts: the current list shuffled with proof."""
    mix.refresh_from_db()
    ctx = Context(mix.seal_id, mix.question, point_from_text(mix.board.public_key))
    current = [
        tuple(Ciphertext(point_from_text(a), point_from_text(b)) for a, b in row)
        for row in mix.current
    ]
    outputs, proof = S.shuffle_with_proof(ctx, current)
    return {
        "round": mix.shuffles.count() + 1,
        "ballots": S.ballots_to_json(outputs),
        "proof": S.proof_to_json(proof),
    }


def _user(board: TrusteeBoard, index: int) -> Any:
    return Trustee.objects.select_related("user").get(board=board, index=index).user


def _entries(org: Any) -> list[dict[str, Any]]:
    from asamblea.recordstore.models import RecordEntry

    rows = RecordEntry.objects.filter(organisation=org).order_by("index")
    return [json.loads(r.canonical) for r in rows]


def _decrypt_all(shares: list[KeyShare], board: TrusteeBoard, ballots: Any) -> Counter[Any]:
    """Plaintexts with the board's secret rebuilt from k shares (test only)."""
    from asamblea.crypto.elgamal import decrypt_to_point
    from asamblea.crypto.group import ORDER

    idx = [s.index for s in shares]
    secret = 0
    for s in shares:
        lam = 1
        for j in idx:
            if j != s.index:
                lam = lam * j * pow(j - s.index, -1, ORDER) % ORDER
        secret = (secret + lam * s.secret) % ORDER
    log = DiscreteLog(10)
    return Counter(tuple(log.solve(decrypt_to_point(secret, c)) for c in b) for b in ballots)


@pytest.fixture(autouse=True)
def _clear() -> None:
    MIXED.clear()


def test_k_trustees_shuffle_in_turn_and_the_record_verifies(org: Any) -> None:
    board, shares = make_board(org, k=2, n=3)
    rows = [[1, 2, 0], [3, 0, 0], [2, 1, 3], [1, 2, 0], [0, 0, 0]]
    mix = _request(System("test"), board, _sealed(board, rows))
    first = mixing.check_post_shuffle(_user(board, 3), mix.pk, _payload(mix))
    assert not first.completed and MIXED == []
    second = mixing.check_post_shuffle(_user(board, 1), mix.pk, _payload(mix))
    assert second.completed
    mix.refresh_from_db()
    assert mix.state == MixRequest.State.COMPLETED
    [(pk, final)] = MIXED
    assert pk == mix.pk and len(final) == 5
    assert _decrypt_all(shares[:2], board, final) == Counter(tuple(r) for r in rows)
    # On the record: two rounds, by trustees 3 then 1, each checked offline from the entries
    # (round 1's input is the requested list, which the close publishes as the sealed ballots).
    entries = _entries(org)
    proved = [e for e in entries if e["type"] == "shuffle_proved"]
    assert [(e["round"], e["trustee"]) for e in proved] == [(1, 3), (2, 1)]
    sealing = {
        "type": "election_ranked_sealing", "index": 0, "election": 9, "seal_id": SEAL,
        "question": "q1", "public_key": board.public_key,
    }  # fmt: skip
    log = [sealing, *({**e, "index": i + 1} for i, e in enumerate(_with_inputs(mix, entries)))]
    checked = 0
    for e in log:
        if e["type"] == "shuffle_proved":
            recount_shuffle(e, log)
            checked += 1
    assert checked == 2


REQUESTED: dict[int, list[list[list[str]]]] = {}


def _with_inputs(mix: MixRequest, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The round-1 input as the close will publish it: the requested list."""
    first = {"type": "election_ranked_ballots", "election": 9, "chunk": 0}
    first["ballots"] = [{"ranks": r} for r in REQUESTED[mix.pk]]
    return [first, *(e for e in entries if e["type"] in {"ballots_shuffled", "shuffle_proved"})]


@pytest.fixture(autouse=True)
def _keep_requested(monkeypatch: pytest.MonkeyPatch) -> None:
    original = mixing.request_mix

    def keep(*args: Any, **kwargs: Any) -> MixRequest:
        mix = original(*args, **kwargs)
        REQUESTED[mix.pk] = [list(map(list, r)) for r in mix.current]
        return mix

    monkeypatch.setattr(mixing, "request_mix", keep)


def test_a_forged_shuffle_is_refused_naming_the_step_and_nothing_is_written(org: Any) -> None:
    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 2], [2, 1], [3, 0]]))
    payload = _payload(mix)
    # The mixer swaps in a ballot of its own after proving.
    key = point_from_text(board.public_key)
    payload["ballots"][0] = [[point_to_text(p) for p in encrypt(key, 1)[0].parts()]] * 2  # type: ignore[arg-type]
    with pytest.raises(ActionError) as err:
        mixing.check_post_shuffle(_user(board, 2), mix.pk, payload)
    assert err.value.field == "proof.challenge" and "step challenge" in err.value.detail
    # Re-encrypted under another key, proved honestly otherwise: step t4.
    wrong = make_board(org, k=2, n=3)[0]
    mix.refresh_from_db()
    current = [
        tuple(Ciphertext(point_from_text(a), point_from_text(b)) for a, b in r) for r in mix.current
    ]
    outs, rho, psi = S.gen_shuffle(point_from_text(wrong.public_key), current)
    proof = S.gen_shuffle_proof(Context(SEAL, "q1", key), current, outs, rho, psi)
    bad = {"round": 1, "ballots": S.ballots_to_json(outs), "proof": S.proof_to_json(proof)}
    with pytest.raises(ActionError) as err:
        mixing.check_post_shuffle(_user(board, 2), mix.pk, bad)
    assert err.value.field == "proof.t4"
    assert MixShuffle.objects.count() == 0
    assert not [e for e in _entries(org) if e["type"] in {"ballots_shuffled", "shuffle_proved"}]


def test_repeats_stale_rounds_and_strangers_are_refused(org: Any) -> None:
    board, _ = make_board(org, k=3, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1], [2]]))
    stale = _payload(mix)
    mixing.check_post_shuffle(_user(board, 1), mix.pk, _payload(mix))
    with pytest.raises(ActionError, match="already shuffled"):
        mixing.check_post_shuffle(_user(board, 1), mix.pk, _payload(mix))
    with pytest.raises(ActionError, match="round 2 is next"):
        mixing.check_post_shuffle(_user(board, 2), mix.pk, stale)
    stale["round"] = 2  # the right number, over the old list: the proof does not hold
    with pytest.raises(ActionError) as err:
        mixing.check_post_shuffle(_user(board, 2), mix.pk, stale)
    assert err.value.field == "proof.challenge"
    stranger = make_trustee_user(org, board.unit or _home(org))
    with pytest.raises(Forbidden):
        mixing.check_post_shuffle(stranger, mix.pk, _payload(mix))
    assert MixShuffle.objects.filter(mix=mix).count() == 1


def _home(org: Any) -> Any:
    from asamblea.registry.models import Body

    return Body.objects.filter(organisation=org).first()


def test_two_trustees_shuffle_through_the_cli_and_a_stranger_cannot(
    org: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_api_and_cli import ClientServer, _run, token_for

    from asamblea.commands import UsageError

    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 0], [2, 1], [0, 0]]))
    assert _run(monkeypatch, token_for(_user(board, 2)), "shuffle", "--mix", str(mix.pk)) == 0
    assert "round 1 accepted; waiting for others" in capsys.readouterr().out
    with pytest.raises(UsageError, match="403"):
        _run(
            monkeypatch,
            token_for(make_trustee_user(org, _home(org))),
            "shuffle",
            "--mix",
            str(mix.pk),
        )
    assert _run(monkeypatch, token_for(_user(board, 1)), "shuffle", "--mix", str(mix.pk)) == 0
    assert "round 2 accepted; mixed" in capsys.readouterr().out
    assert [pk for pk, _ in MIXED] == [mix.pk]
    shown = ClientServer(None).get(f"/trustees/mixes/{mix.pk}")
    assert shown["state"] == "completed" and shown["shuffled_by"] == [2, 1]
    assert _run(monkeypatch, token_for(_user(board, 3)), "shuffle", "--mix", str(mix.pk)) == 0
    assert "is complete: nothing to shuffle" in capsys.readouterr().out


def test_a_trustee_s_page_shows_the_shuffles_waiting_for_them_with_the_command(org: Any) -> None:
    from django.test import Client

    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 2], [2, 1]]))

    def page(index: int, language: str = "en") -> str:
        client = Client()
        client.force_login(_user(board, index))
        return client.get("/trustees/me/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    command = f"shuffle --mix {mix.pk}"
    assert "1 shuffle of a ranked vote" in page(1) and command in page(1)
    assert "Te espera 1 mezcla" in page(1, "es")
    mixing.check_post_shuffle(_user(board, 1), mix.pk, _payload(mix))
    # Shuffled by trustee 1: no longer theirs to do; still waiting for another trustee.
    assert command not in page(1) and command in page(2)
    mixing.check_post_shuffle(_user(board, 2), mix.pk, _payload(mix))
    assert command not in page(3)


def test_the_shuffle_command_the_page_prints_runs_as_printed(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client
    from test_api_and_cli import token_for
    from test_pages import printed_commands, run_printed

    board, _ = make_board(org, k=2, n=3)
    mix = _request(System("test"), board, _sealed(board, [[1, 2], [2, 1]]))
    client = Client()
    client.force_login(_user(board, 3))
    [command] = printed_commands(client.get("/trustees/me/").content.decode())
    assert run_printed(monkeypatch, token_for(_user(board, 3)), command) == 0
    assert [s.trustee.index for s in MixShuffle.objects.filter(mix=mix)] == [3]
