"""JWT verification and the FastAPI dependency that yields the caller.

The algorithm comes from configuration, never from the token header, so an `alg: none` or an
HS256 token signed with a public key is refused.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request

from taskwire.common.errors import Unauthenticated
from taskwire.common.jwks import SigningKeys
from taskwire.common.settings import ServiceSettings
from taskwire.common.urls import is_web_url


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user and the profile their token carries."""

    user_id: UUID
    email: str
    name: str
    picture: str | None = None
    # Forwarded as the caller's own credential when a service reads another through (its replica
    # lacks what the request needs); never logged.
    token: str = field(default="", repr=False)


VERIFIED_TOKENS = 10_000
DEV_TOKEN_TTL = timedelta(hours=12)


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self._algorithm = settings.jwt_algorithm
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._leeway = settings.jwt_leeway_seconds
        self._secret = settings.jwt_secret.get_secret_value()
        self._jwks = (
            SigningKeys(settings.jwks_url, settings.jwks_refresh_seconds)
            if settings.jwt_algorithm == "RS256" and settings.jwks_url
            else None
        )
        # A client sends the same token with every request until it expires: verifying its
        # signature once per token, not per request, takes the check off the hot path. Only
        # tokens that verified are kept, each until its own expiry.
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    async def verify(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None and time.time() < known[1] + self._leeway:
            self._verified.move_to_end(token)
            return known[0]
        caller, expires = await self._verify(token)
        self._verified[token] = (caller, expires)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return caller

    async def _verify(self, token: str) -> tuple[Caller, float]:
        key: Any = self._secret
        if self._jwks is not None:
            key = await self._signing_key(token, self._jwks)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        return _caller_from(claims, token), float(claims["exp"])

    @staticmethod
    async def _signing_key(token: str, jwks: SigningKeys) -> Any:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        found = await jwks.get(kid) if isinstance(kid, str) else None
        if found is None:
            raise Unauthenticated(f"token signing key not found: no key {kid!r} in the JWKS")
        return found.key


def _caller_from(claims: dict[str, Any], token: str) -> Caller:
    try:
        user_id = UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthenticated("token subject must be a UUID") from exc
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise Unauthenticated("token has no email claim")
    name = claims.get("name")
    picture = claims.get("picture")
    return Caller(
        user_id=user_id,
        email=email,
        name=name if isinstance(name, str) and name else email,
        # The picture becomes a member's avatar, shown by browsers: only a web address will do.
        picture=picture if isinstance(picture, str) and is_web_url(picture) else None,
        token=token,
    )


def mint_token(
    settings: ServiceSettings,
    user_id: UUID,
    email: str,
    name: str,
    *,
    picture: str | None = None,
    ttl: timedelta = DEV_TOKEN_TTL,
    issued_at: datetime | None = None,
) -> str:
    """Sign a development token (HS256 only: production tokens come from the identity provider),
    valid for `ttl` from `issued_at` (default: now; the token keeps whole seconds)."""
    if settings.jwt_algorithm != "HS256":
        raise ValueError("development tokens can only be minted with TASKWIRE_JWT_ALGORITHM=HS256")
    now = issued_at or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "email": email,
        "name": name,
        "aud": settings.jwt_audience,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + ttl,
    }
    if picture:
        claims["picture"] = picture
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


async def current_caller(request: Request) -> Caller:
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(bearer_token(request.headers.get("authorization")))


CallerDep = Annotated[Caller, Depends(current_caller)]


async def internal_caller(request: Request) -> None:
    """Another Taskwire service, proven by the shared internal token (routes under /internal)."""
    expected: bytes = request.app.state.internal_token
    presented = bearer_token(request.headers.get("authorization")).encode()
    if not hmac.compare_digest(presented, expected):
        raise Unauthenticated("not a valid internal token (TASKWIRE_INTERNAL_TOKEN)")


InternalDep = Annotated[None, Depends(internal_caller)]
