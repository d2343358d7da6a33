"""Every change of state of elections and recalls, one module per aggregate.

``do_*`` are trusted (one transaction, audit entry and public record entry together);
``check_*`` validate untrusted input and call ``do_*``; ``access_*_by_*`` (in
:mod:`asamblea.elections.access`) fetch with a permission check.

The one exception to "audit and record every change" is casting a ballot (:func:`do_cast`):
it writes no per-ballot audit or record entry, see docs/adr/0002-ballot-secrecy.md.

This package re-exports the public names, so ``from asamblea.elections import actions`` keeps
working.
"""

from __future__ import annotations

from asamblea.elections.access import (  # noqa: F401
    access_election_by_id,
    access_petition_by_id,
    access_signatures_by_user,
)
from asamblea.elections.actions._common import (  # noqa: F401
    RECORD_VERSION,
    State,
    _open_members,
    freeze_roll,
    is_officer,
)
from asamblea.elections.actions.casting import (  # noqa: F401
    BALLOT_BOXES,
    CASTING_LOCK_CLASS,
    INVALID_CODE,
    BallotBox,
    Receipt,
    _AlreadyVoted,
    candidate_keys,
    check_cast,
    do_cast,
    election_state,
    has_voted,
    verify_credential,
)
from asamblea.elections.actions.credentials import (  # noqa: F401
    do_reissue_credentials,
    secrets_code,
)
from asamblea.elections.actions.lifecycle import (  # noqa: F401
    Opened,
    check_certify_election,
    check_close_election,
    check_count_election,
    check_nominate,
    check_open_election,
    check_open_nominations,
    do_certify_election,
    do_close_election,
    do_count_election,
    do_create_election,
    do_nominate,
    do_open_election,
    do_open_nominations,
)
from asamblea.elections.actions.recall import (  # noqa: F401
    check_open_petition,
    check_resign,
    do_enter_teller_result,
    do_expire_petitions,
    do_open_petition,
    do_resign,
    do_sign,
    do_withdraw_signature,
    recall_rules,
)
from asamblea.elections.queries import (  # noqa: F401
    blocking_issues,
    recall_rules_of,
    standing_signatures,
)
