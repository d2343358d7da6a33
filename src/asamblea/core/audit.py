"""Writing audit entries. Call inside the action's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from asamblea.core.clock import now
from asamblea.core.models import AuditEntry


def audit(actor: Any, action: str, target: models.Model | None = None, **detail: Any) -> AuditEntry:
    """Record that ``actor`` (a user, or None for the system) did ``action`` to ``target``."""
    user = actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None
    label = actor.get_username() if user is not None else (str(actor) if actor else "system")
    return AuditEntry.objects.create(
        at=now(),
        actor=user,
        actor_label=label[:200],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail,
    )
