"""The API instance; each app adds its router in ``register_routers``."""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from asamblea.core.errors import ActionError, NotFoundOrForbidden
from asamblea.core.permissions import Forbidden
from asamblea.core.ratelimit import TooManyRequests

api = NinjaAPI(
    title="Asamblea API",
    version="1",
    description="Delegates elected from below and recallable at any moment. Lists return "
    '{"items": [...], "count": n} with ?limit=&offset=, except a closed vote\'s ballots and '
    "tracking codes, which page by cursor (?after=&limit=, and a next link to follow); errors "
    'are {"detail", "field"}.',
    docs_url="/docs",
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):  # type: ignore[no-untyped-def]
    first = exc.errors[0] if exc.errors else {}
    loc = [
        str(part)
        for part in first.get("loc", [])
        if part not in ("body", "query", "path", "payload")
    ]
    return api.create_response(
        request,
        {
            "detail": first.get("msg", "invalid input"),
            "field": ".".join(loc) or None,
            "errors": exc.errors,
        },
        status=422,
    )


@api.exception_handler(NotFoundOrForbidden)
def _not_found_or_forbidden(request, exc: NotFoundOrForbidden):  # type: ignore[no-untyped-def]
    return api.create_response(request, {"detail": exc.detail, "field": exc.field}, status=404)


@api.exception_handler(ActionError)
def _action_error(request, exc: ActionError):  # type: ignore[no-untyped-def]
    status = {"blocked": 409, "conflict": 409, "forbidden": 403}.get(exc.code, 400)
    return api.create_response(request, {"detail": exc.detail, "field": exc.field}, status=status)


@api.exception_handler(Forbidden)
def _forbidden(request, exc: Forbidden):  # type: ignore[no-untyped-def]
    # 401 is for no credentials, 403 for credentials that may not do this, 404 for what the
    # actor may not know exists (docs/adr/0007-layout-and-action-context.md).
    status = 401 if not getattr(request.user, "is_authenticated", False) else 403
    return api.create_response(request, {"detail": exc.detail, "field": exc.field}, status=status)


@api.exception_handler(TooManyRequests)
def _too_many_requests(request, exc: TooManyRequests):  # type: ignore[no-untyped-def]
    response = api.create_response(request, {"detail": exc.detail, "field": None}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def _http404(request, exc: Http404):  # type: ignore[no-untyped-def]
    return api.create_response(request, {"detail": "not found", "field": None}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc: AuthenticationError):  # type: ignore[no-untyped-def]
    return api.create_response(
        request, {"detail": "authentication required", "field": None}, status=401
    )


def register_routers() -> None:
    from asamblea.assemblies.api import router as assemblies_router
    from asamblea.core.approvals_api import router as approvals_router
    from asamblea.elections.api import router as elections_router
    from asamblea.registry.api import router as registry_router
    from asamblea.trustees.api import router as trustees_router

    api.add_router("/", registry_router)
    api.add_router("/", elections_router)
    api.add_router("/", assemblies_router)
    api.add_router("/", approvals_router)
    api.add_router("/", trustees_router)


register_routers()
