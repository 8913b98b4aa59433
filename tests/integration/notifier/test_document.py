"""/openapi.json on the notifier's port: every route it answers, and every error a problem
(RFC 9457), its own (404, 405) as well as the handshake's refusals websockets makes."""

from __future__ import annotations

import asyncio

import httpx

from taskwire.common.errors import PROBLEM_JSON
from taskwire.notifier.api.document import document
from taskwire.notifier.app import Notifier
from tests.support.notifier import address_of, http_of
from tests.support.problems import assert_problem

ROUTES = {"/livez", "/readyz", "/metrics", "/openapi.json", "/ws"}


async def test_the_document_lists_every_route_and_its_answers(notifier: Notifier) -> None:
    async with httpx.AsyncClient(base_url=http_of(notifier)) as http:
        found = await http.get("/openapi.json")
    assert found.status_code == 200
    served = found.json()
    assert served["openapi"].startswith("3.1")
    assert {path: set(item) for path, item in served["paths"].items()} == {
        path: {"get"} for path in ROUTES
    }
    answers = {path: set(item["get"]["responses"]) for path, item in served["paths"].items()}
    every = {"414", "431", "500"}
    assert answers["/ws"] == {"101", "400", "426", "503", "505"} | every  # no 403: development
    assert answers["/readyz"] == {"200", "503"} | every
    assert served["paths"]["/readyz"]["get"]["responses"]["503"]["headers"].keys() == {
        "Retry-After"
    }
    assert "Problem" in served["components"]["schemas"]
    # In production, a browser of another site is refused with 403, and the document says so.
    assert "403" in document(origins_checked=True)["paths"]["/ws"]["get"]["responses"]


async def test_unknown_paths_and_other_methods_are_problems(notifier: Notifier) -> None:
    async with httpx.AsyncClient(base_url=http_of(notifier)) as http:
        missing = await http.get("/nowhere?x=1")
        posted = await http.post("/livez")
        plain = await http.get("/ws")  # not an upgrade: websockets refuses it
    assert assert_problem(missing, 404, "not-found")["instance"] == "/nowhere"
    assert_problem(posted, 405, "method-not-allowed")
    assert posted.headers["allow"] == "GET"
    assert_problem(plain, 426, "upgrade-required")
    assert plain.headers["upgrade"] == "websocket"


async def test_a_request_it_cannot_read_is_refused_with_a_problem(notifier: Notifier) -> None:
    """Refused while reading the request, before any route: a header line over 8 KiB."""
    host, port = address_of(notifier).split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 9000}\r\n\r\n".encode())
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 "), head
    assert f"content-type: {PROBLEM_JSON}".encode() in head.lower()
    assert b'"type":"urn:taskwire:problem:request-header-fields-too-large"' in body


async def test_readyz_says_when_to_ask_again_while_a_dependency_is_down(notifier: Notifier) -> None:
    notifier.hub.listening.clear()  # as when the fan-out subscription is lost
    try:
        async with httpx.AsyncClient(base_url=http_of(notifier)) as http:
            found = await http.get("/readyz")
    finally:
        notifier.hub.listening.set()
    assert (found.status_code, found.headers["retry-after"]) == (503, "1")
    assert found.json()["status"] == "unavailable"
