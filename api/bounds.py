"""Input bounds for every route: one app-wide dependency (`bounded_input`), so routes added
later are covered too.

- An integer in the path beyond the database's range names no object: 404.
- An integer query parameter or JSON/form value beyond it: 422 naming the field.
- Text with NUL or other control characters (tab, newline and carriage return are text):
  422 naming the field. PostgreSQL refuses NUL in text, and nobody types the others.

The JSON and form bodies are the ones the framework already read (cached on the request):
nothing is read twice from the network.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile
from starlette.requests import Request

from api.errors import InvalidInput
from core.errors import NotFound

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
"""PostgreSQL ``integer``, the type of every id and count column."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INTEGER = re.compile(r"[+-]?\d+")


def in_range(value: int) -> bool:
    """True when ``value`` fits the database's integer columns."""
    return INT_MIN <= value <= INT_MAX


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character other than tab, newline, return."""
    return _CONTROL.search(text) is not None


def check_text(field: str, value: str) -> None:
    """Refuse control characters in text (422 naming the field)."""
    if _CONTROL.search(value):
        raise InvalidInput(field, "must not contain control characters (such as NUL)")


def check_value(field: str, value: Any) -> None:
    """Walk a decoded JSON value: integers in range, text without control characters."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not in_range(value):
        raise InvalidInput(field, f"must be between {INT_MIN} and {INT_MAX}")
    if isinstance(value, str):
        check_text(field, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(field, str(key))
            check_value(f"{field}.{key}" if field else str(key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(f"{field}.{index}" if field else str(index), item)


def params_of(dependant: Dependant, where: str) -> list[Any]:
    """The fields in ``where`` (``path_params``, ``query_params``, ``body_params``) of a
    route's dependant and all its sub-dependencies."""
    found = list(getattr(dependant, where))
    for sub in dependant.dependencies:
        found += params_of(sub, where)
    return found


def _int_names(request: Request, where: str) -> set[str]:
    """The route's integer parameters in ``where`` (``query_params``, ``body_params``)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return set()
    params = params_of(route.dependant, where)
    return {p.alias for p in params if "int" in str(p.field_info.annotation)}


def _check_path_and_query(request: Request) -> None:
    for name, raw in request.path_params.items():
        text = str(raw)
        if _CONTROL.search(text) or (_INTEGER.fullmatch(text) and not in_range(int(text))):
            raise NotFound(f"no such {name.removesuffix('_id')}")
    ints = _int_names(request, "query_params")
    for name, text in request.query_params.multi_items():
        check_text(name, text)
        if name in ints and _INTEGER.fullmatch(text.strip()) and not in_range(int(text)):
            raise InvalidInput(name, f"must be between {INT_MIN} and {INT_MAX}")


async def _check_body(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if "json" in content_type and getattr(request, "_body", None):
        try:
            data = json.loads(request._body)
        except ValueError:
            return  # the framework answers 422 for malformed JSON itself
        check_value("", data)
    form = getattr(request, "_form", None)
    if form is not None:
        ints = _int_names(request, "body_params")
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                check_text(name, value.filename or "")
            else:
                check_text(name, value)
                if name in ints and _INTEGER.fullmatch(value.strip()) and not in_range(
                        int(value)):
                    raise InvalidInput(name, f"must be between {INT_MIN} and {INT_MAX}")


async def bounded_input(request: Request) -> None:
    """The app-wide dependency: path, query and body within the service's bounds."""
    _check_path_and_query(request)
    await _check_body(request)
