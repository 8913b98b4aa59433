"""How the fuzzer runs: which checks, how many examples, a fixed seed (CI replays the same
requests), and the real ids it puts into requests.

Ids come from dictionaries with a probability below one: most requests name a real entity and
reach the rules behind the route; the rest name random ones and see the 404 side.
"""

from __future__ import annotations

from typing import Any, Final

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.e2e.fuzz.world import World

SEED: Final = 20_240_601
# Per operation, on top of the coverage phase's own cases; the whole run stays within minutes.
MAX_EXAMPLES: Final = 50
STATEFUL_STEPS: Final = 10
CHECKS: Final = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
REAL: Final = 0.9  # how often an id is a real one

# Destructive routes get entities of their own, so the rest of the run keeps its world.
SPARE: Final = {
    "DELETE /api/v1/projects/{project_id}": ("project_id", "spare_projects"),
    "DELETE /api/v1/statuses/{status_id}": ("status_id", "spare_statuses"),
    "DELETE /api/v1/workspaces/{workspace_id}/members/{user_id}": ("user_id", "spare_members"),
    "DELETE /api/v1/tasks/{task_id}": ("task_id", "spare_tasks"),
}


def dictionaries(world: World) -> dict[str, list[str]]:
    return {
        "workspaces": [world.workspace_id],
        "projects": [world.project_id],
        "statuses": world.status_ids,
        "tasks": world.task_ids,
        "members": [str(world.owner.id), str(world.member.id)],
        "spare_projects": [world.spare_project_id],
        "spare_statuses": [world.spare_status_id],
        "spare_members": [str(world.spare_member.id)],
        "spare_tasks": [world.spare_task_id],
    }


BINDINGS: Final = {
    "path.workspace_id": "workspaces",
    "path.project_id": "projects",
    "path.status_id": "statuses",
    "path.task_id": "tasks",
    "path.user_id": "members",
    "query.project_id": "projects",
    "query.move_to": "statuses",
    "query.status_id": "statuses",
    "query.assignee_id": "members",
    "body.status_id": "statuses",
    "body.assignee_id": "members",
    "body.after": "tasks",
    "body.before": "tasks",
    "body.user_id": "members",
    "body.ids[*]": "tasks",
}


def _bound(dictionary: str) -> dict[str, Any]:
    return {"dictionary": dictionary, "probability": REAL}


def _config(
    headers: dict[str, str], checks: dict[str, Any] | None = None, **more: Any
) -> SchemathesisConfig:
    """What every service's run shares, with what a service's own adds: its checks' options
    (`checks`) and the rest (`more`)."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": [
                "too_slow",
                "filter_too_much",
                "data_too_large",
                "large_base_example",
            ],
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
                **(checks or {}),
            },
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
            **more,
        }
    )


def fuzz_config(world: World) -> SchemathesisConfig:
    internal = {"Authorization": f"Bearer {world.internal_token}"}
    return _config(
        {"Authorization": f"Bearer {world.owner.token}"},
        dictionaries={name: {"values": values} for name, values in dictionaries(world).items()},
        parameters={key: _bound(name) for key, name in BINDINGS.items()},
        operations=[
            {"include-path-regex": "^/internal/", "headers": internal},
            *(
                {"include-name": name, "parameters": {f"path.{param}": _bound(spare)}}
                for name, (param, spare) in SPARE.items()
            ),
        ],
    )


def load_schema(base_url: str, world: World) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=fuzz_config(world))


def load_notifier_schema(base_url: str, token: str) -> OpenApiSchema:
    """The notifier's plain HTTP routes and its handshake: no entity to name; handshakes carry
    `token` unless the fuzzer picks an Authorization of its own. A handshake the notifier
    accepts answers 101 (the WebSocket opens), which is no server error."""
    upgraded = {"enabled": True, "expected-statuses": ["101", "2xx", "3xx", "4xx"]}
    config = _config({"Authorization": f"Bearer {token}"}, {"not_a_server_error": upgraded})
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
