"""The trustees' tests: a small organisation, a completion handler that keeps what it gets."""

from __future__ import annotations

from typing import Any

import pytest

from asamblea.core.action import System, door
from asamblea.core.clock import now
from asamblea.crypto.elgamal import Ciphertext, DiscreteLog, encrypt
from asamblea.crypto.group import point_from_text
from asamblea.registry.models import Body, Organisation
from asamblea.trustees import decryption
from asamblea.trustees.decryption import DecryptionGroup
from asamblea.trustees.models import DecryptionRequest, TrusteeBoard

COMPLETED: list[tuple[int, list[list[int]]]] = []
DLOG = DiscreteLog(1000)


def _on_decrypted(ctx: Any, request: DecryptionRequest, points: Any) -> None:
    ctx.audit("test.decrypted", request)
    COMPLETED.append((request.pk, [[DLOG.solve(p) for p in group] for group in points]))


decryption.register_completion("test", _on_decrypted)


@door("test.request_decryption")
def do_request(ctx: Any, board: TrusteeBoard, groups: list[DecryptionGroup]) -> DecryptionRequest:
    return decryption.request_decryption(ctx, board, subject="test:1:tally", groups=groups)


def sealed(board: TrusteeBoard, values: list[int]) -> list[Ciphertext]:
    key = point_from_text(board.public_key)
    return [encrypt(key, m)[0] for m in values]


def request_for(board: TrusteeBoard, *groups: tuple[str, list[int]]) -> DecryptionRequest:
    return do_request(
        System("test"),
        board,
        [DecryptionGroup("org/1", q, sealed(board, values)) for q, values in groups],
    )


@pytest.fixture
def org(db: Any) -> Organisation:
    return Organisation.objects.create(slug="sindicato", name="Sindicato", created_at=now())


@pytest.fixture
def unit(org: Organisation) -> Body:
    return Body.objects.create(
        organisation=org, code="mina-7", name="Mina 7", kind=Body.Kind.WORKPLACE, created_at=now()
    )


@pytest.fixture(autouse=True)
def _clear() -> None:
    COMPLETED.clear()
