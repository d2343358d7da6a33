"""Every change of state of elections and recalls, one module per aggregate.

- :mod:`.lifecycle`: create, open nominations, nominate, open, certify; succession;
- :mod:`.closing`: close and count (a sealed vote's as chunked jobs, :mod:`.tally_jobs`);
- :mod:`.casting`: casting a ballot (private, and outside the door: see its docstring);
- :mod:`.credentials`: voting codes issued at opening, reissued on cards;
- :mod:`.recall`: petitions, signatures (private), teller results, expiry, resignation.

``check_*`` ask the one permission predicate (:mod:`asamblea.core.permissions`), validate, then
call their ``do_*``; every ``do_*`` goes through the door (:func:`asamblea.core.action.door`):
one transaction with its audit entry and its typed record entry. Reads live in
:mod:`asamblea.elections.queries`, permission-checked fetches in :mod:`asamblea.elections.access`.

This package re-exports the public names, so ``from asamblea.elections import actions`` keeps
working.
"""

from __future__ import annotations

from asamblea.elections.access import (
    access_election_by_id,
    access_petition_by_id,
    access_signatures_by_user,
)
from asamblea.elections.actions import reports as reports  # the member-page report (private)
from asamblea.elections.actions._common import State, freeze_roll, open_members
from asamblea.elections.actions.casting import (
    BALLOT_BOXES,
    CASTING_LOCK_CLASS,
    INVALID_CODE,
    BallotBox,
    Receipt,
    candidate_keys,
    check_cast,
    do_cast,
    election_state,
    has_voted,
    verify_credential,
)
from asamblea.elections.actions.closing import (
    check_close_election,
    check_count_election,
    do_close_election,
    do_count_election,
)
from asamblea.elections.actions.credentials import (
    check_reissue_credentials,
    do_reissue_credentials,
    issue_credentials,
)
from asamblea.elections.actions.lifecycle import (
    Opened,
    check_certify_election,
    check_create_election,
    check_nominate,
    check_open_election,
    check_open_nominations,
    decide_recall,
    do_certify_election,
    do_create_election,
    do_nominate,
    do_open_election,
    do_open_nominations,
    succeed,
)
from asamblea.elections.actions.recall import (
    check_enter_teller_result,
    check_expire_petitions,
    check_open_petition,
    check_resign,
    check_sign,
    check_withdraw_signature,
    do_enter_teller_result,
    do_expire_petitions,
    do_open_petition,
    do_reach_threshold,
    do_resign,
    do_sign,
    do_withdraw_signature,
    recall_rules,
)
from asamblea.elections.queries import blocking_issues, recall_rules_of, standing_signatures

# The demo and older callers used the private name.
_open_members = open_members

__all__ = [
    "BALLOT_BOXES",
    "CASTING_LOCK_CLASS",
    "INVALID_CODE",
    "BallotBox",
    "Opened",
    "Receipt",
    "State",
    "access_election_by_id",
    "access_petition_by_id",
    "access_signatures_by_user",
    "blocking_issues",
    "candidate_keys",
    "check_cast",
    "check_certify_election",
    "check_close_election",
    "check_count_election",
    "check_create_election",
    "check_enter_teller_result",
    "check_expire_petitions",
    "check_nominate",
    "check_open_election",
    "check_open_nominations",
    "check_open_petition",
    "check_reissue_credentials",
    "check_resign",
    "check_sign",
    "check_withdraw_signature",
    "decide_recall",
    "do_cast",
    "do_certify_election",
    "do_close_election",
    "do_count_election",
    "do_create_election",
    "do_enter_teller_result",
    "do_expire_petitions",
    "do_nominate",
    "do_open_election",
    "do_open_nominations",
    "do_open_petition",
    "do_reach_threshold",
    "do_reissue_credentials",
    "do_resign",
    "do_sign",
    "do_withdraw_signature",
    "election_state",
    "freeze_roll",
    "has_voted",
    "issue_credentials",
    "open_members",
    "recall_rules",
    "recall_rules_of",
    "standing_signatures",
    "succeed",
    "verify_credential",
]
