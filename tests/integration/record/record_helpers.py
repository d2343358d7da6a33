"""A small organisation whose record is written by the registry's own actions."""

from __future__ import annotations

from asamblea.core.action import System
from asamblea.registry import actions

TEST_ACTOR = System("test")


def make_organisation(slug: str = "federacion", n_bodies: int = 4):  # type: ignore[no-untyped-def]
    org = actions.do_create_organisation(
        TEST_ACTOR, slug=slug, name=f"Federación {slug}", settings={"recall_threshold": "1/5"}
    )
    bodies = [
        actions.do_create_body(
            TEST_ACTOR, org, code=f"unidad-{i}", name=f"Unidad {i}", kind="workplace", region="Puno"
        )
        for i in range(n_bodies)
    ]
    return org, bodies
