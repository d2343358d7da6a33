"""Every change of state of assemblies goes through a function here, one module per aggregate.

``do_*`` are declared with :func:`asamblea.core.action.door`: one transaction each, writing the
audit entry and the typed public record entry (asamblea.record.entries.assemblies) in it. ``check_*`` decide who may act (asamblea.core.permissions), validate untrusted input and call
``do_*``. ``access_*`` (in
:mod:`asamblea.assemblies.access`) fetch with the same answer for "missing" and "forbidden".
Refusals raise :class:`ActionError` and write nothing.

Weights come from the frozen rolls through the body's current apportionment: a seat of unit U
weighs ``population / seats`` of U's allocation (one for bodies of one delegate, one vote), so a
change of membership moves no weight until the roll is frozen again and the seats re-apportioned.
A weight belongs to the seat, not the person: when a delegate is recalled the successor sitting
in the seat carries it.
"""

from asamblea.assemblies.access import (
    access_body_for_chair,
    access_division_by_id,
    access_division_for_chair,
    access_motion_by_id,
    access_motion_for_chair,
    access_resolution_for_chair,
    access_session_by_id,
    access_session_for_chair,
)
from asamblea.assemblies.actions.divisions import (
    check_cast_votes,
    check_close_division,
    check_open_division,
    division_blocking_issues,
    do_cast_vote,
    do_cast_votes,
    do_close_division,
    do_open_division,
)
from asamblea.assemblies.actions.instructions import (
    check_cast_instruction_ballot,
    check_close_instruction,
    check_open_instruction,
    check_record_instruction_count,
    do_cast_instruction_ballot,
    do_close_instruction,
    do_open_instruction,
    do_record_instruction_count,
)
from asamblea.assemblies.actions.motions import (
    check_propose_motion,
    check_withdraw_motion,
    do_propose_motion,
    do_withdraw_motion,
)
from asamblea.assemblies.actions.resolutions import (
    check_set_resolution_status,
    do_adopt_resolution,
    do_set_resolution_status,
)
from asamblea.assemblies.actions.sessions import (
    check_close_session,
    check_open_session,
    check_record_attendance,
    check_record_attendance_of_all,
    check_record_departure,
    check_schedule_session,
    do_close_session,
    do_open_session,
    do_record_attendance,
    do_record_departure,
    do_schedule_session,
)
from asamblea.assemblies.queries import (
    MANDATE_MODES,
    division_rule,
    is_weighted,
    legal_number,
    live_tally,
    mandate_mode,
    present_amount,
    recount_tally,
    seat_weight,
    session_summary,
    unit_weights,
)

__all__ = [
    "MANDATE_MODES",
    "access_body_for_chair",
    "access_division_by_id",
    "access_division_for_chair",
    "access_motion_by_id",
    "access_motion_for_chair",
    "access_resolution_for_chair",
    "access_session_by_id",
    "access_session_for_chair",
    "check_cast_instruction_ballot",
    "check_cast_votes",
    "check_close_division",
    "check_close_instruction",
    "check_close_session",
    "check_open_division",
    "check_open_instruction",
    "check_open_session",
    "check_propose_motion",
    "check_record_attendance",
    "check_record_attendance_of_all",
    "check_record_departure",
    "check_record_instruction_count",
    "check_schedule_session",
    "check_set_resolution_status",
    "check_withdraw_motion",
    "division_blocking_issues",
    "division_rule",
    "do_adopt_resolution",
    "do_cast_instruction_ballot",
    "do_cast_vote",
    "do_cast_votes",
    "do_close_division",
    "do_close_instruction",
    "do_close_session",
    "do_open_division",
    "do_open_instruction",
    "do_open_session",
    "do_propose_motion",
    "do_record_attendance",
    "do_record_departure",
    "do_record_instruction_count",
    "do_schedule_session",
    "do_set_resolution_status",
    "do_withdraw_motion",
    "is_weighted",
    "legal_number",
    "live_tally",
    "mandate_mode",
    "present_amount",
    "recount_tally",
    "seat_weight",
    "session_summary",
    "unit_weights",
]
