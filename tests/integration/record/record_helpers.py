"""A small organisation whose record is written by the registry's own actions."""

from __future__ import annotations

from asamblea.registry import actions


def make_organisation(slug: str = "federacion", n_bodies: int = 4):  # type: ignore[no-untyped-def]
    org = actions.do_create_organisation(
        "test", slug=slug, name=f"Federación {slug}", settings={"recall_threshold": "1/5"}
    )
    bodies = [
        actions.do_create_body(
            "test", org, code=f"unidad-{i}", name=f"Unidad {i}", kind="workplace", region="Puno"
        )
        for i in range(n_bodies)
    ]
    return org, bodies
