"""Another Taskwire service over HTTP: transient failures retried with backoff, then a 503.

Used where a replica can lag a user's own request (read-through), to ask who may read what, and
for the internal snapshots reconcile reads.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from taskwire.common.errors import ServiceUnavailable, TooManyRequests

log = logging.getLogger(__name__)


def _transient(exc: BaseException) -> bool:
    """Worth asking again: no answer, or the server's own failure. A 4xx would answer the same."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


class ServiceClient:
    def __init__(self, name: str, base_url: str, *, timeout: float, attempts: int) -> None:
        self.name = name
        self._attempts = attempts
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """The answer (a success or a 4xx); ServiceUnavailable when the service does not answer,
        or fails with a 5xx, every time it is asked."""
        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(_transient),
                stop=stop_after_attempt(self._attempts),
                wait=wait_exponential(multiplier=0.05, max=1.0),
                reraise=True,
            ):
                with attempt:
                    response = await self._http.request(
                        method, path, headers=headers, params=params, json=json
                    )
                    if response.is_server_error:
                        response.raise_for_status()
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            log.warning("%s service unreachable for %s %s: %r", self.name, method, path, exc)
            raise ServiceUnavailable(
                f"the {self.name} service is unreachable; try again shortly"
            ) from exc
        if response.status_code == 429:
            # Asked as the caller, so it is the caller who is over their share there: theirs
            # to hear, not a "not found" of whatever was asked for.
            raise TooManyRequests(
                f"too many requests for the {self.name} service; retry after the time in"
                " Retry-After"
            )
        return response

    async def close(self) -> None:
        await self._http.aclose()
