"""JWT verification: the configured algorithm only, exp/aud/iss checked, a UUID subject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest

from taskwire.common import auth_cli
from taskwire.common.auth import TokenVerifier, mint_token
from taskwire.common.errors import Unauthenticated
from taskwire.common.settings import DatabaseSettings
from tests.support.jwks import SigningKey, claims_for, serve_jwks

HS = DatabaseSettings()
SECRET = HS.jwt_secret.get_secret_value()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A token built by hand, as an attacker would: any header, any HMAC key, or none."""
    payload = {k: int(v.timestamp()) if hasattr(v, "timestamp") else v for k, v in claims.items()}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key else b""
    return f"{signing_input}.{b64(signature)}"


async def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await verifier.verify(token)
    return caught.value.detail


async def test_hs256_round_trip() -> None:
    user = uuid4()
    token = mint_token(HS, user, "ada@example.test", "Ada", picture="https://p.example/a.png")
    caller = await TokenVerifier(HS).verify(token)
    assert (caller.user_id, caller.email, caller.name) == (user, "ada@example.test", "Ada")
    assert caller.picture == "https://p.example/a.png"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp_offset": -120}, "expired"),
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"sub": "not-a-uuid"}, "UUID"),
        ({"email": None}, "email"),
        ({"exp": None}, "exp"),
    ],
)
async def test_bad_claims_are_refused(change: dict[str, Any], reason: str) -> None:
    claims = claims_for(str(uuid4()))
    if "exp_offset" in change:
        claims["exp"] = claims["iat"] + timedelta(seconds=change.pop("exp_offset"))
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert reason.lower() in (await refused(TokenVerifier(HS), token)).lower()


async def test_a_bad_signature_is_refused() -> None:
    token = jwt.encode(claims_for(str(uuid4())), "another-secret-of-enough-length-0123456789")
    await refused(TokenVerifier(HS), token)
    good = mint_token(HS, uuid4(), "a@b.test", "A")
    await refused(TokenVerifier(HS), good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"))


async def test_alg_none_is_refused() -> None:
    token = forge({"alg": "none", "typ": "JWT"}, claims_for(str(uuid4())), None)
    await refused(TokenVerifier(HS), token)


async def test_an_rs256_token_is_refused_when_hs256_is_configured() -> None:
    await refused(TokenVerifier(HS), SigningKey("k1").sign(claims_for(str(uuid4()))))


@pytest.fixture
def identity_provider() -> Iterator[tuple[SigningKey, DatabaseSettings]]:
    key = SigningKey("k1")
    with serve_jwks(key, SigningKey("k2")) as provider:
        yield key, DatabaseSettings(jwt_algorithm="RS256", jwks_url=provider.url)


async def test_rs256_with_a_jwks(identity_provider: tuple[SigningKey, DatabaseSettings]) -> None:
    key, settings = identity_provider
    user = uuid4()
    caller = await TokenVerifier(settings).verify(key.sign(claims_for(str(user))))
    assert caller.user_id == user
    stranger = SigningKey("k1")  # same kid, a key the provider never published
    await refused(TokenVerifier(settings), stranger.sign(claims_for(str(user))))
    unknown = SigningKey("k9")
    assert "key" in (await refused(TokenVerifier(settings), unknown.sign(claims_for(str(user)))))
    await refused(TokenVerifier(settings), "not.a.token")
    await refused(TokenVerifier(settings), key.sign(claims_for(str(user), audience="other")))


async def test_algorithm_confusion_is_refused(
    identity_provider: tuple[SigningKey, DatabaseSettings],
) -> None:
    """An HS256 token whose HMAC key is the provider's public key must not pass as RS256."""
    key, settings = identity_provider
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    token = forge(header, claims_for(str(uuid4())), key.public_pem)
    await refused(TokenVerifier(settings), token)
    with pytest.raises(ValueError, match="HS256"):
        mint_token(settings, uuid4(), "a@b.test", "A")


@pytest.fixture
def bare_shell(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A shell that sets no TASKWIRE_ variable, as a developer's on this machine."""
    for name in [n for n in os.environ if n.startswith("TASKWIRE_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def cli_refusal(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        auth_cli.main([])
    assert capsys.readouterr().out == ""
    return str(exited.value.code)


async def test_the_token_cli_prints_a_token_that_verifies(
    bare_shell: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    user = uuid4()
    auth_cli.main(["--sub", str(user), "--email", "cli@example.test", "--name", "Cli"])
    token = capsys.readouterr().out.strip()
    local = DatabaseSettings(environment="development")  # as the local run's services have it
    caller = await TokenVerifier(local).verify(token)
    assert (caller.user_id, caller.email, caller.name) == (user, "cli@example.test", "Cli")


def test_the_token_cli_will_not_sign_with_the_public_secret_outside_development(
    bare_shell: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare_shell.setenv("TASKWIRE_ENVIRONMENT", "production")
    assert "TASKWIRE_JWT_SECRET" in cli_refusal(capsys)


def test_the_token_cli_explains_why_it_cannot_mint(
    bare_shell: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare_shell.setenv("TASKWIRE_JWT_ALGORITHM", "RS256")
    bare_shell.setenv("TASKWIRE_JWKS_URL", "https://id.example/jwks.json")
    assert "HS256" in cli_refusal(capsys)
