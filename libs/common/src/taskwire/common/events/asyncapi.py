"""The event catalogue as an AsyncAPI 3 document, generated from the contract models.

`python -m taskwire.common.events.asyncapi > docs/asyncapi.json` rewrites the published copy; a
test fails when the copy and the models disagree.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from pydantic import BaseModel

from taskwire.common.events import aggregator, projects, tasks
from taskwire.common.events.envelope import Envelope

CATALOGUES: dict[str, dict[str, type[BaseModel]]] = {
    projects.PRODUCER: projects.CATALOGUE,
    tasks.PRODUCER: tasks.CATALOGUE,
    aggregator.PRODUCER: aggregator.CATALOGUE,
}


def _message_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split("."))


def document(exchange: str = "taskwire.events") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    _add_schema(schemas, Envelope)
    for producer, catalogue in sorted(CATALOGUES.items()):
        for event_type, state in sorted(catalogue.items()):
            name = _message_name(event_type)
            _add_schema(schemas, state)
            messages[name] = {
                "name": event_type,
                "contentType": "application/json",
                "summary": f"{event_type}, produced by the {producer} service",
                "payload": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": event_type},
                                "producer": {"const": producer},
                                "data": {"$ref": f"#/components/schemas/{state.__name__}"},
                            },
                        },
                    ]
                },
            }
            channels[name] = {
                "address": event_type,
                "description": f"routing key {event_type} on the topic exchange {exchange}",
                "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            }
            operations[f"publish{name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{name}"},
                "x-producer": producer,
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Taskwire events",
            "version": "1",
            "description": "Each Taskwire change as an event: envelope, full state, version.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    """Add a model's schema and the schemas it refers to, all under components/schemas."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema


def render() -> bytes:
    return orjson.dumps(document(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


if __name__ == "__main__":
    sys.stdout.buffer.write(render())
