"""The aggregator's OpenAPI document declares every status each route answers, errors as
problem+json."""

from __future__ import annotations

from taskwire.aggregator.app import create_app
from taskwire.aggregator.settings import AggregatorSettings
from tests.support import documents

# Beyond 413 and 500 (every route) and 401, 422, 429 and 503 (every API route).
OWN_STATUSES = {
    "GET /livez": {200},
    "GET /readyz": {200, 503},
    "GET /api/v1/projects/{project_id}/counts": {200, 404},
    "POST /internal/v1/reconcile": {200},
}


def test_each_route_declares_what_it_answers() -> None:
    service = create_app(AggregatorSettings(environment="development"))
    documents.assert_declares(service, OWN_STATUSES)
