"""State changes of the record's keys and checkpoints (entries are appended by other actions).

Key generation, backup and restore are operator verbs: the keys are sealed with the
server's SECRET_KEY, so they are run on the server by whoever holds it, as an
:class:`asamblea.core.action.Operator` named by the operating-system user. They write no record
entry: a key reaches the public as the signature on checkpoints and in ``keys.pub`` (a rotation as
the handover checkpoint signed by both keys). Rotation is a two-person step: the operator proposes,
a registrar of the organisation approves (:func:`check_propose_key_rotation`). Signing a checkpoint is the record store's own
after-commit step, not anyone's action.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from asamblea.core import approvals
from asamblea.core.action import ActionContext, Operator
from asamblea.core.audit import audit
from asamblea.core.clock import now
from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden, Role, is_operator, require_role
from asamblea.record.checkpoint import Checkpoint as CheckpointBody
from asamblea.record.checkpoint import NoteSigner, sign_checkpoint
from asamblea.recordstore import keys as keystore
from asamblea.recordstore import tree
from asamblea.recordstore.models import Checkpoint, SigningKey
from asamblea.registry.models import Organisation


def _operator(actor: Any) -> Operator:
    if not isinstance(actor, Operator):
        raise TypeError("the record's keys are handled by an Operator (asamblea key), nobody else")
    return actor


def _lock(organisation: Any) -> Any:
    # The same lock appenders take: a checkpoint's size and root are read with no append between.
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _create_key(organisation: Any, name: str) -> tuple[SigningKey, NoteSigner]:
    signer = NoteSigner.generate(name)
    key_id = signer.key_id.hex()
    key = SigningKey.objects.create(
        organisation=organisation,
        name=name,
        key_id=key_id,
        vkey=signer.verifier().vkey,
        encrypted_seed=keystore.encrypt_seed(organisation.pk, key_id, signer.seed),
        created_at=now(),
    )
    return key, signer


@transaction.atomic
def do_generate_key(actor: Any, organisation: Any) -> SigningKey:
    """Give an organisation its first checkpoint key."""
    _operator(actor)
    org = _lock(organisation)
    if keystore.current_key(org) is not None:
        raise ActionError(
            "the organisation already has a signing key; rotate it instead", field="organisation"
        )
    name = keystore.log_origin(org)
    key, _ = _create_key(org, name)
    audit(actor, "record_key_generated", org, key_id=key.key_id, name=name)
    return key


def _sign(org: Any, signers: list[NoteSigner], signing_keys: list[SigningKey]) -> Checkpoint:
    size = tree.tree_size(org.pk)
    root = tree.root(org.pk, size)
    body = CheckpointBody(origin=signing_keys[0].name, size=size, root=root)
    return Checkpoint.objects.create(
        organisation=org,
        size=size,
        root_hash=root.hex(),
        note=sign_checkpoint(body, signers),
        key_ids=",".join(k.key_id for k in signing_keys),
        signed_at=now(),
    )


@transaction.atomic
def do_sign_checkpoint(organisation: Any, *, force: bool = False) -> Checkpoint:
    """Sign the current tree head, unless the latest checkpoint already covers it.

    An organisation without a key gets one here (its first checkpoint), so that a record is
    never left unsigned; ``asamblea key generate`` does the same explicitly.
    """
    org = _lock(organisation)
    latest = latest_checkpoint(org)
    size = tree.tree_size(org.pk)
    if latest is not None and latest.size == size and not force:
        return latest
    key = keystore.current_key(org)
    if key is None:
        name = keystore.log_origin(org)
        key, signer = _create_key(org, name)
        audit(None, "record_key_generated", org, key_id=key.key_id, name=name)
    else:
        signer = keystore.signer_for(key)
    return _sign(org, [signer], [key])


ROTATE = "recordstore.rotate_key"


def check_propose_key_rotation(user: Any, organisation: Any) -> Any:
    """The platform operator (an authenticated superuser, not an anonymous shell) proposes
    rotating an organisation's record key; a registrar of that organisation approves it in their
    own session with a fresh second factor (docs/adr/0010-approvals.md). The rotation runs in the
    approving process, on the server, which holds the SECRET_KEY that seals the keys."""
    if not is_operator(user):
        raise Forbidden("only the platform operator may propose rotating the record's key")
    if keystore.current_key(organisation) is None:
        raise ActionError("the organisation has no signing key to rotate", field="organisation")
    return approvals.do_propose(user, ROTATE, organisation_id=organisation.pk)


def _may_approve_rotation(user: Any, approval: Any) -> None:
    require_role(user, approval.organisation_id, Role.REGISTRAR, hidden="approval")


def _run_rotation(ctx: ActionContext, approval: Any) -> None:
    organisation = Organisation.objects.get(pk=approval.organisation_id)
    do_rotate_key(ctx.actor, organisation, approval=approval)


approvals.register_kind(
    approvals.ApprovalKind(
        ROTATE,
        may_approve=_may_approve_rotation,
        run=_run_rotation,
        describe=lambda a: "rotate the public record's signing key",
    )
)


@transaction.atomic
def do_rotate_key(
    actor: Any, organisation: Any, *, approval: Any = None
) -> tuple[SigningKey, Checkpoint]:
    """Replace the current key; the handover checkpoint is signed by the new key and the old one.

    A verifier that trusts the old key learns the new one from that double signature. Run by an
    :class:`Operator` on the server, or by the registrar approving an operator's proposal
    (``approval``, whose proposer the audit entry names too).
    """
    if approval is None or approval.kind != ROTATE or approval.organisation_id != organisation.pk:
        _operator(actor)
    org = _lock(organisation)
    old = keystore.current_key(org)
    if old is None:
        raise ActionError("the organisation has no signing key to rotate", field="organisation")
    old_signer = keystore.signer_for(old)
    SigningKey.objects.filter(pk=old.pk).update(retired_at=now())
    new, new_signer = _create_key(org, old.name)
    checkpoint = _sign(org, [new_signer, old_signer], [new, old])
    audit(
        actor,
        "record_key_rotated",
        org,
        old_key_id=old.key_id,
        new_key_id=new.key_id,
        checkpoint_size=checkpoint.size,
        **({} if approval is None else {"proposed_by": approval.proposer.get_username()}),
    )
    return new, checkpoint


def backup_keys(actor: Any, organisation: Any, passphrase: str) -> bytes:
    """A passphrase-encrypted file of every key of the organisation (audited)."""
    _operator(actor)
    try:
        blob = keystore.backup_blob(organisation, passphrase)
    except ValueError as exc:
        raise ActionError(str(exc)) from exc
    with transaction.atomic():
        audit(actor, "record_keys_backed_up", organisation)
    return blob


@transaction.atomic
def do_restore_keys(actor: Any, organisation: Any, blob: bytes, passphrase: str) -> int:
    """Re-store the keys of a backup under the current SECRET_KEY; returns how many.

    For a machine whose SECRET_KEY was lost or changed, or a new machine with a restored
    database. Only keys the database already knows (same key id) are restored, so a backup cannot
    introduce a key the log never used.
    """
    _operator(actor)
    org = _lock(organisation)
    try:
        content = keystore.open_backup(blob, passphrase)
    except (ValueError, KeyError) as exc:
        raise ActionError(str(exc)) from exc
    if content.get("organisation") != org.slug:
        raise ActionError(f"the backup is of organisation {content.get('organisation')!r}")
    restored = 0
    for item in content["keys"]:
        signer = NoteSigner.from_skey(item["skey"])
        key_id = signer.key_id.hex()
        sealed = keystore.encrypt_seed(org.pk, key_id, signer.seed)
        restored += SigningKey.objects.filter(
            organisation=org, key_id=key_id, vkey=signer.verifier().vkey
        ).update(encrypted_seed=sealed)
    if not restored:
        raise ActionError("no key of the backup belongs to this organisation's record")
    audit(actor, "record_keys_restored", org, count=restored)
    return restored


def latest_checkpoint(organisation: Any) -> Checkpoint | None:
    return Checkpoint.objects.filter(organisation=organisation).order_by("-size", "-id").first()


def access_organisation_record(slug: str | None) -> Any:
    """The organisation whose public record is asked for: by slug, or the only one there is."""
    if slug:
        org = Organisation.objects.filter(slug=slug).first()
    else:
        orgs = list(Organisation.objects.order_by("pk")[:2])
        org = orgs[0] if len(orgs) == 1 else None
    if org is None:
        raise NotFoundOrForbidden("organisation")
    return org
