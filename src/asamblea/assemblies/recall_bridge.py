"""Opening a recall petition when a delegate deviates from an instruction (mandate mode "recall").

The petition belongs to the elections app (its frozen roll, signatures, threshold and deadline);
this module calls the elections app's action inside the deviation's transaction and returns what
happened as text for the deviation row: ``recall_petition:<id>``, or why none was opened.

The petition needs a member of the unit as its opener; no member asked for it, and picking one
who voted in the secret instruction would leak a ballot, so the opener is the delegate's own
membership and the reason says that the deviation opened it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from asamblea.core.errors import ActionError


def open_petition_for_deviation(ctx: Any, vote: Any, instruction: Any) -> str:
    """Inside the deviation's action ``ctx``: the petition's entries join its transaction."""
    # Imported here: the elections app imports nothing of assemblies, and loading it only when a
    # recall-mode deviation happens keeps assemblies' import light (no cycle either way).
    from asamblea.elections.actions import do_open_petition

    # A door-declared action nests in ``ctx``; one not yet declared takes the acting user.
    actor = ctx if hasattr(do_open_petition, "action_name") else ctx.actor

    reason = (
        f"Opened automatically: in division {vote.division_id} (motion {instruction.motion_id})"
        f" the delegate voted {vote.choice!r} against the unit's instruction"
        f" {instruction.result!r}."
    )
    try:
        # A savepoint: a refused petition leaves nothing half-written in the vote's transaction.
        with transaction.atomic():
            petition = do_open_petition(actor, vote.mandate, vote.mandate.member, reason)
    except ActionError as exc:
        # A recall already under way, or a seat whose unit is not a base unit: the deviation is
        # still flagged and the public vote stands; the record says why no petition was opened.
        return f"no recall petition: {exc.detail}"[:200]
    return f"recall_petition:{petition.pk}"
