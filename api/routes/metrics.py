"""``GET /metrics``: Prometheus figures (`api.services.metrics`), for the operators' scraper.

Not under ``/api/v1`` and not a student or staff page: it answers only a request that
carries the ``AUTOGRADE_METRICS_TOKEN`` as a bearer token, and 404 when no token is set
(the endpoint is off). The figures are aggregates with no names or submissions.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.errors import Unauthorized
from api.services import metrics
from core.errors import NotFound

router = APIRouter()


def _allowed(request: Request, token: str) -> bool:
    sent = request.headers.get("authorization", "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), token.encode())


@router.get("/metrics", include_in_schema=False)
async def prometheus(request: Request) -> Response:
    """The figures in Prometheus's text format."""
    settings = request.app.state.settings
    if not settings.metrics_token:
        raise NotFound("no such page")
    if not _allowed(request, settings.metrics_token):
        raise Unauthorized("send the metrics token as a bearer token")

    def read() -> bytes:
        with request.app.state.sessionmaker() as session:
            return metrics.render(metrics.figures(session, settings))

    body = await run_in_threadpool(read)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
