"""The identity provider's signing keys (RS256), fetched at most once per refresh interval.

jwt.PyJWKClient downloads the whole JWKS again for every token whose `kid` it does not know, so
anyone could make a service hammer the provider (and tie up its threads) with made-up kids. Here
the set is fetched again only once it is older than the interval, whatever kids are asked for:
a key the provider has just rotated in is known after at most one interval. Callers that find
the set stale together wait for one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

# After a failed fetch, keep the keys held and ask again this soon (or at the interval, if
# shorter): a provider that is down is neither hammered nor waited on for a whole interval.
RETRY_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 5.0


class SigningKeys:
    def __init__(self, url: str, refresh_seconds: float) -> None:
        self._url = url
        self._refresh_seconds = refresh_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._next_fetch = float("-inf")  # time.monotonic(); never fetched yet
        self._fetching = asyncio.Lock()

    async def get(self, kid: str) -> jwt.PyJWK | None:
        """The key published under `kid`, or None: the provider does not publish it."""
        if time.monotonic() >= self._next_fetch:
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._fetching:
            if time.monotonic() < self._next_fetch:
                return  # fetched by another caller while this one waited
            try:
                self._keys = await self._fetch()
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning(
                    "JWKS fetch from %s failed; keeping the %d keys held",
                    self._url,
                    len(self._keys),
                    exc_info=exc,
                )
                self._next_fetch = time.monotonic() + min(RETRY_SECONDS, self._refresh_seconds)
            else:
                self._next_fetch = time.monotonic() + self._refresh_seconds

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as http:
            response = await http.get(self._url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document: Any = response.json()
        if not isinstance(document, dict):
            raise ValueError("the JWKS is not a JSON object")
        keys = jwt.PyJWKSet.from_dict(document)
        # As PyJWKClient does: only signing keys, and only those a token can name.
        return {
            key.key_id: key for key in keys if key.key_id and key.public_key_use in ("sig", None)
        }
