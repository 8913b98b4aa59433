"""Every error the notifier's port answers is application/problem+json (RFC 9457), as on every
other service: its own routes' (404, 405) and websockets' refusals of a handshake (400, 403,
405, 426, 505), of a request it cannot read (414, 431), of a server shutting down (503) or of a
failure (500), which websockets words as plain text."""

from __future__ import annotations

import email.utils
import http
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Response
from websockets.server import ServerProtocol
from websockets.typing import StatusLike

from taskwire.common.errors import (
    RETRY_AFTER_SECONDS,
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    problem_response,
)

# The slug and title every service gives these statuses; the others are named after the status.
_KNOWN = {
    cls.status: (cls.slug, cls.title)
    for cls in (BadRequest, Forbidden, NotFound, ServiceUnavailable)
}
_KNOWN[500] = ("internal", "Internal error")


def problem(
    status: StatusLike,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json answer of `status`; 503 (and 429) say when to come back (Retry-After)."""
    code = http.HTTPStatus(status)
    slug, title = _KNOWN.get(code.value) or _named(code)
    fields = dict(headers or {})
    if code.value in (429, 503):
        fields.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    body = problem_response(code.value, slug, title, detail, instance)
    return response(code, bytes(body.body), body.media_type or "", fields)


def response(
    status: http.HTTPStatus, payload: bytes, content_type: str, headers: dict[str, str]
) -> Response:
    """A plain HTTP answer. The connection closes after it (websockets answers one request a
    connection), which `Connection: close` tells the client."""
    fields = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Type", content_type),
            ("Content-Length", str(len(payload))),
            *headers.items(),
        ]
    )
    return Response(status.value, status.phrase, fields, payload)


def refusal(status: StatusLike, text: str) -> Response:
    """What websockets answers with `reject(status, text)`, as a problem (its text the detail,
    on one line). Headers it adds afterwards (Allow, Upgrade) stay."""
    return problem(status, " ".join(text.split()))


def _named(code: http.HTTPStatus) -> tuple[str, str]:
    slug = code.phrase.lower().replace("-", " ").replace(" ", "-")
    return slug, slug.replace("-", " ").capitalize()


class ProblemConnection(ServerConnection):
    """A connection whose handshake refusals are problems: websockets makes every one of them
    (from reading the request to accepting it) with its protocol's `reject`."""

    def __init__(self, protocol: ServerProtocol, server: Server, **options: Any) -> None:
        protocol.reject = refusal  # type: ignore[method-assign]
        super().__init__(protocol, server, **options)
