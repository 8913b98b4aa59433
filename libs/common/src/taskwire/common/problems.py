"""The errors a client can act on, each with its HTTP status and stable problem `type` slug.

Free of any framework, so that rules without I/O (a service's domain) can raise them;
taskwire.common.errors turns them into `application/problem+json` answers.
"""

from __future__ import annotations

from typing import Any

RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})


class Problem(Exception):
    """An error a client can act on. Subclasses fix the status and the stable `type` slug."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, /, **extensions: Any) -> None:
        clashing = RESERVED_MEMBERS.intersection(extensions)
        if clashing:
            raise ValueError(f"problem extensions may not redefine {sorted(clashing)}")
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthenticated(Problem):
    status, slug, title = 401, "unauthenticated", "Authentication required"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class Unprocessable(Problem):
    status, slug, title = 422, "unprocessable", "Unprocessable request"


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "unavailable", "Service unavailable"
