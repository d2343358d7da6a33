"""Voting codes, tracking codes and the guessing budget (no database)."""

from __future__ import annotations

import re

from asamblea.elections import secrecy


def test_a_voting_code_is_twenty_base32_characters_of_fresh_randomness():
    codes = {secrecy.new_credential() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-Z2-7]{20}", c) for c in codes)


def test_a_typed_code_is_forgiven_case_dashes_spaces_and_look_alike_digits():
    code = "ABCDEFGHIJKLMNOPQRST"
    typed = " abcd-efgh ijk1-mn0p-qrst "
    assert secrecy.normalise_code(typed) == "ABCDEFGHIJKIMNOPQRST"
    assert secrecy.normalise_code(secrecy.format_code(code).lower()) == code
    assert secrecy.format_code(code) == "ABCD-EFGH-IJKL-MNOP-QRST"


def test_the_ballot_digest_depends_on_the_submission_key():
    assert secrecy.ballot_digest("k1", '{"vote":"yes"}') != secrecy.ballot_digest(
        "k2", '{"vote":"yes"}'
    )
