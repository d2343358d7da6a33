"""API endpoints of `assemblies`."""

from ninja import Router

router = Router(tags=["assemblies"])
