"""The OpenAPI document: security schemes, and every error status a route can answer.

Derived from each route's dependencies, so routes added later are described too: a route
that authenticates lists 401 and 403 (scope, CSRF) and the two schemes; a path parameter
adds 404; every route may answer 422 (the app-wide input bounds); an unsafe method adds
403 (another site's ``Origin``), 413 (the body limit), and 400 and 409 (the services' `BadInput` and
`Conflict`, which any write may meet). Routes add their own (409, 429...) with
`api.errors.errors_of`. Every 422 has the service's error body, not FastAPI's default.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from api.bounds import params_of
from api.errors import ERROR_TEXT, ErrorBody
from api.security import SESSION_COOKIE

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "An API token (`ag_...`) from POST /api/v1/auth/tokens; "
                              "scopes read, submit, staff."},
    "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                "description": "The browser session from POST /api/v1/auth/login; unsafe "
                               "methods also need the X-CSRF-Token header."},
}
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def _calls(dependant: Dependant) -> set[str]:
    names = {getattr(dependant.call, "__name__", "")}
    for sub in dependant.dependencies:
        names |= _calls(sub)
    return names


def _statuses(route: RouteContext, method: str) -> set[int]:
    dependant = route.dependant
    statuses: set[int] = {422}  # `api.bounds.bounded_input` checks every route's query
    if "current_principal" in _calls(dependant):
        statuses |= {401, 403}
    if params_of(dependant, "path_params"):
        statuses.add(404)
    if params_of(dependant, "query_params"):
        statuses.add(400)
    if method in ("post", "put", "patch", "delete"):
        statuses |= {400, 403, 409, 413}  # any write may meet bad input or the state
    return statuses


def _describe(route: RouteContext, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(_statuses(route, method)):
        responses.setdefault(str(status), {"description": ERROR_TEXT[status]})
    for status, response in responses.items():
        if status.startswith("4"):
            response["content"] = {"application/json": {"schema": ERROR_REF}}
    if "current_principal" in _calls(route.dependant):
        operation["security"] = [{"bearer": []}, {"session": []}]


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the described document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
        components = document.setdefault("components", {})
        components["securitySchemes"] = SECURITY_SCHEMES
        schemas = components.setdefault("schemas", {})
        schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
                       .pop("$defs", {}))
        schemas["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}")
        schemas["ErrorBody"].pop("$defs", None)
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            item = document["paths"].get(route.path_format, {})
            for method in route.methods or ():
                operation = item.get(method.lower())
                if operation is not None:
                    _describe(route, method.lower(), operation)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
