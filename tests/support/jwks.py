"""An identity provider's signing key and a JWKS endpoint served on 127.0.0.1 for RS256 tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        """Signed with this key, the header naming `kid` (this key's own unless given)."""
        headers = {"kid": kid or self.kid}
        return jwt.encode(claims, self.private, algorithm="RS256", headers=headers)


def claims_for(sub: str, *, audience: str = "taskwire", issuer: str = "taskwire") -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": sub,
        "email": "ada@example.test",
        "name": "Ada",
        "aud": audience,
        "iss": issuer,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }


class IdentityProvider:
    """What the JWKS endpoint publishes (change `keys` to rotate them, or set `down`) and how
    often it has been fetched."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.down = False
        self.fetches = 0
        self.url = ""
        self._lock = threading.Lock()

    def fetched(self) -> tuple[int, bytes]:
        with self._lock:
            self.fetches += 1
        if self.down:
            return 503, b"{}"
        return 200, json.dumps({"keys": [key.jwk() for key in self.keys]}).encode()


@contextmanager
def serve_jwks(*keys: SigningKey) -> Iterator[IdentityProvider]:
    """Serve `{"keys": [...]}` over HTTP in a thread, at the provider's `url`."""
    provider = IdentityProvider(list(keys))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = provider.fetched()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
