"""API endpoints of `elections`."""

from ninja import Router

router = Router(tags=["elections"])
