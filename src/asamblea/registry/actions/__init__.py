"""Every change of the registry goes through a ``do_*`` here, one module per aggregate.

``do_*`` functions are trusted mutations: one transaction, an audit entry and (for public state)
a public record entry written in that same transaction. ``check_*`` validate untrusted input and
call ``do_*``; the permission-checked fetches are in :mod:`asamblea.registry.access`, the read side
in :mod:`asamblea.registry.queries`.

What is public and what is not: organisations, bodies, seat links, frozen rolls (size and
commitment only), apportionments, mandates and alternates go on the public record. Members,
memberships and member lists never do; their changes go to the audit log only.

The names below are re-exported so that callers keep importing ``asamblea.registry.actions``.
"""

from __future__ import annotations

from asamblea.registry.access import REGISTER_ROLES, access_unit_register_by_officer
from asamblea.registry.actions._shared import body_payload, fraction_text, timestamp
from asamblea.registry.actions.apportionment import (
    ComputedApportionment,
    SenderShare,
    check_apportion,
    compute_apportionment,
    do_apportion,
    represented_population,
)
from asamblea.registry.actions.bodies import (
    check_change_body,
    check_create_body,
    check_dissolve_body,
    check_link_bodies,
    do_change_body,
    do_create_body,
    do_dissolve_body,
    do_link_bodies,
)
from asamblea.registry.actions.importing import (
    ImportPlan,
    MemberRow,
    check_import_members,
    do_import_members,
    plan_import,
)
from asamblea.registry.actions.mandates import (
    check_end_mandate,
    check_set_alternates,
    check_start_mandate,
    do_end_mandate,
    do_fill_seat_from_alternates,
    do_set_alternates,
    do_start_mandate,
    mandate_payload,
)
from asamblea.registry.actions.members import (
    check_add_member,
    check_export_members,
    check_join,
    check_leave,
    check_transfer,
    check_update_member,
    do_add_member,
    do_export_members,
    do_join,
    do_leave,
    do_transfer,
    do_update_member,
)
from asamblea.registry.actions.officers import (
    check_grant_role,
    check_revoke_role,
    do_grant_role,
    do_revoke_role,
)
from asamblea.registry.actions.organisations import (
    check_change_organisation_settings,
    check_create_organisation,
    do_change_organisation_settings,
    do_create_organisation,
)
from asamblea.registry.actions.preferences import (
    check_set_member_language,
    check_set_presentation,
    do_set_member_language,
    do_set_presentation,
)
from asamblea.registry.actions.rolls import check_freeze_roll, do_freeze_roll
from asamblea.registry.actions.tokens import (
    check_create_api_token,
    check_revoke_api_token,
    do_create_api_token,
    do_revoke_api_token,
    find_user,
)
from asamblea.registry.queries import (
    current_alternates,
    current_apportionment,
    current_mandates,
    eligible_member_ids,
    latest_roll,
    mandate_weight,
    open_membership,
    seat_weight,
)

__all__ = [
    "REGISTER_ROLES",
    "ComputedApportionment",
    "ImportPlan",
    "MemberRow",
    "SenderShare",
    "access_unit_register_by_officer",
    "body_payload",
    "check_add_member",
    "check_apportion",
    "check_change_body",
    "check_change_organisation_settings",
    "check_create_api_token",
    "check_create_body",
    "check_create_organisation",
    "check_dissolve_body",
    "check_end_mandate",
    "check_export_members",
    "check_freeze_roll",
    "check_grant_role",
    "check_import_members",
    "check_set_member_language",
    "check_set_presentation",
    "do_set_member_language",
    "do_set_presentation",
    "check_join",
    "check_leave",
    "check_link_bodies",
    "check_revoke_api_token",
    "check_revoke_role",
    "check_set_alternates",
    "check_start_mandate",
    "check_transfer",
    "check_update_member",
    "compute_apportionment",
    "current_alternates",
    "current_apportionment",
    "current_mandates",
    "do_add_member",
    "do_apportion",
    "do_change_body",
    "do_change_organisation_settings",
    "do_create_api_token",
    "do_create_body",
    "do_create_organisation",
    "do_dissolve_body",
    "do_end_mandate",
    "do_export_members",
    "do_fill_seat_from_alternates",
    "do_freeze_roll",
    "do_grant_role",
    "do_import_members",
    "do_join",
    "do_leave",
    "do_link_bodies",
    "do_revoke_api_token",
    "do_revoke_role",
    "do_set_alternates",
    "do_start_mandate",
    "do_transfer",
    "do_update_member",
    "eligible_member_ids",
    "find_user",
    "fraction_text",
    "latest_roll",
    "mandate_payload",
    "mandate_weight",
    "open_membership",
    "plan_import",
    "represented_population",
    "seat_weight",
    "timestamp",
]
