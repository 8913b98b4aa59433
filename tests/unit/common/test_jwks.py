"""RS256 keys from the identity provider: fetched at most once per refresh interval, however many
unknown kids callers make up, and rotated keys learnt at the next refresh."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from taskwire.common.auth import TokenVerifier
from taskwire.common.errors import Unauthenticated
from taskwire.common.settings import DatabaseSettings
from tests.support.jwks import SigningKey, claims_for, serve_jwks

REFRESH_SECONDS = 1.0


def verifier_for(url: str, refresh_seconds: float = REFRESH_SECONDS) -> TokenVerifier:
    settings = DatabaseSettings(
        jwt_algorithm="RS256", jwks_url=url, jwks_refresh_seconds=refresh_seconds
    )
    return TokenVerifier(settings)


def token(key: SigningKey, *, kid: str | None = None) -> str:
    return key.sign(claims_for(str(uuid4())), kid=kid)


async def test_unknown_kids_sent_together_cost_one_fetch() -> None:
    key = SigningKey("k1")
    with serve_jwks(key) as provider:
        verifier = verifier_for(provider.url, refresh_seconds=300)
        made_up = [token(key, kid=uuid4().hex) for _ in range(100)]
        outcomes = await asyncio.gather(
            *(verifier.verify(t) for t in made_up), return_exceptions=True
        )
        assert all(isinstance(outcome, Unauthenticated) for outcome in outcomes), outcomes
        assert provider.fetches == 1
        await verifier.verify(token(key))
        await asyncio.gather(*(verifier.verify(t) for t in made_up), return_exceptions=True)
        assert provider.fetches == 1


async def test_a_rotated_key_is_accepted_once_the_interval_has_passed() -> None:
    old, new = SigningKey("k1"), SigningKey("k2")
    with serve_jwks(old) as provider:
        verifier = verifier_for(provider.url)
        await verifier.verify(token(old))
        provider.keys = [old, new]
        rotated = token(new)
        with pytest.raises(Unauthenticated, match="signing key not found"):
            await verifier.verify(rotated)  # within the interval: not fetched for its kid
        assert provider.fetches == 1
        await asyncio.sleep(REFRESH_SECONDS)
        await verifier.verify(rotated)
        await verifier.verify(token(old))
        assert provider.fetches == 2


async def test_the_keys_held_still_verify_while_the_provider_is_down() -> None:
    key = SigningKey("k1")
    with serve_jwks(key) as provider:
        verifier = verifier_for(provider.url, refresh_seconds=0.2)
        await verifier.verify(token(key))
        provider.down = True
        await asyncio.sleep(0.2)
        await verifier.verify(token(key))
        await verifier.verify(token(key))
        assert provider.fetches == 2  # the failed fetch is not repeated token by token
