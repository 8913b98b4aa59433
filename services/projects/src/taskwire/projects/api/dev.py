"""Signing in during development: a token for an email, minted as `taskwire-token` mints one,
so that a browser can sign in with no identity provider.

Mounted only where such tokens are valid (`available`); anywhere else the path is unknown, a
404 like any other, and the route is absent from the document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from uuid import UUID, uuid5

from fastapi import APIRouter, Request

from taskwire.common.auth import DEV_TOKEN_TTL, mint_token
from taskwire.common.http import runtime
from taskwire.common.openapi import problems
from taskwire.common.settings import ServiceSettings
from taskwire.projects.schemas import DevToken, DevTokenCreate

# Fixed forever: an email names the same user on every run, on every machine.
USERS: Final = UUID("5b0c2f8e-7d1a-4c6e-9a3b-2f4e8d6c1a70")

# Those of every API route but 401: this one takes no token.
router = APIRouter(prefix="/api/v1/dev", tags=["development"], responses=problems(422, 429, 503))


def available(settings: ServiceSettings) -> bool:
    """Development, with the shared secret every service verifies HS256 tokens by."""
    return settings.environment == "development" and settings.jwt_algorithm == "HS256"


def user_id_of(email: str) -> UUID:
    return uuid5(USERS, email.lower())


@router.post("/tokens", status_code=201, responses=problems(400))
async def mint_dev_token(body: DevTokenCreate, request: Request) -> DevToken:
    """A token for the user of this email (the same user for every token of it)."""
    # Whole seconds, as a token's `exp` is: `expires_at` is then the token's own expiry.
    issued = datetime.now(UTC).replace(microsecond=0)
    user_id = user_id_of(body.email)
    settings = runtime(request).settings
    token = mint_token(settings, user_id, body.email, body.display_name, issued_at=issued)
    return DevToken(token=token, user_id=user_id, expires_at=issued + DEV_TOKEN_TTL)
