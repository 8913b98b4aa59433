"""Write deploy/rabbitmq/definitions.json: the broker topology the services declare at start-up,
as RabbitMQ definitions (`rabbitmqctl import_definitions`, or `load_definitions` at boot).

    uv run --frozen python deploy/rabbitmq/generate.py          # (re)write the file
    uv run --frozen python deploy/rabbitmq/generate.py --check  # exit 1 if it is out of date

Nothing here restates the topology: each service's queue name, bindings and delivery limit come
from its settings' defaults and its code, and the exchanges, queues, arguments and bindings are
whatever `Broker.declare_queue` declares, recorded by running it on a channel that only takes
notes. tests/unit/deploy/test_deploy.py fails when the file and this output differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, cast

from aio_pika.abc import AbstractRobustChannel, ExchangeType
from pydantic_settings import BaseSettings

from taskwire.aggregator.handlers import BINDINGS as AGGREGATOR_BINDINGS
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.settings import ServiceSettings
from taskwire.notifier.handlers import BINDINGS as NOTIFIER_BINDINGS
from taskwire.notifier.settings import NotifierSettings
from taskwire.projects.handlers import BINDINGS as PROJECTS_BINDINGS
from taskwire.projects.settings import ProjectsSettings
from taskwire.tasks.handlers import BINDINGS as TASKS_BINDINGS
from taskwire.tasks.settings import TasksSettings

DEFINITIONS = Path(__file__).resolve().parent / "definitions.json"
VHOST = "/"


SUBSCRIPTIONS: tuple[tuple[type[ServiceSettings], tuple[str, ...]], ...] = (
    (ProjectsSettings, PROJECTS_BINDINGS),
    (TasksSettings, TASKS_BINDINGS),
    (AggregatorSettings, AGGREGATOR_BINDINGS),
    (NotifierSettings, NOTIFIER_BINDINGS),
)


def default(settings: type[BaseSettings], field: str) -> Any:
    """A setting's default, as the service runs without configuration (the environment unread)."""
    return settings.model_fields[field].default


def queue_specs() -> list[QueueSpec]:
    """Each consuming service's queue, as its runtime builds it from its default settings."""
    return [
        QueueSpec(
            default(settings, "consumer_queue"),
            bindings,
            default(settings, "consumer_delivery_limit"),
        )
        for settings, bindings in SUBSCRIPTIONS
    ]


@dataclass(frozen=True)
class _Exchange:
    name: str


@dataclass(frozen=True)
class _Queue:
    notes: _Notes
    name: str

    async def bind(self, exchange: _Exchange, routing_key: str) -> None:
        self.notes.bindings.append(
            {
                "source": exchange.name,
                "vhost": VHOST,
                "destination": self.name,
                "destination_type": "queue",
                "routing_key": routing_key,
                "arguments": {},
            }
        )


class _Notes:
    """Stands in for the channel `Broker.declare_queue` is given: records, in definitions' form,
    what it declares. The defaults are aio-pika's, so what the broker code leaves out reads as
    the broker would get it."""

    def __init__(self) -> None:
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.bindings: list[dict[str, Any]] = []

    async def declare_exchange(
        self,
        name: str,
        type: ExchangeType | str = ExchangeType.DIRECT,
        *,
        durable: bool = False,
        auto_delete: bool = False,
        internal: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> _Exchange:
        _record(
            self.exchanges,
            {
                "name": name,
                "vhost": VHOST,
                "type": type.value if isinstance(type, Enum) else type,
                "durable": durable,
                "auto_delete": auto_delete,
                "internal": internal,
                "arguments": dict(arguments or {}),
            },
        )
        return _Exchange(name)

    async def declare_queue(
        self,
        name: str,
        *,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = False,
        arguments: dict[str, Any] | None = None,
    ) -> _Queue:
        if exclusive:
            raise ValueError(f"queue {name!r} is exclusive: it has no place in definitions")
        _record(
            self.queues,
            {
                "name": name,
                "vhost": VHOST,
                "durable": durable,
                "auto_delete": auto_delete,
                "arguments": dict(arguments or {}),
            },
        )
        return _Queue(self, name)


def _record(declared: dict[str, dict[str, Any]], item: dict[str, Any]) -> None:
    previous = declared.setdefault(item["name"], item)
    if previous != item:
        raise ValueError(f"{item['name']!r} is declared twice, differently: {previous} / {item}")


def definitions() -> dict[str, Any]:
    """The definitions document: vhost, exchanges, queues and bindings; no users, no passwords."""
    broker = Broker(
        "amqp://not-connected/",
        default(ServiceSettings, "exchange"),
        default(ServiceSettings, "dead_letter_exchange"),
    )
    notes = _Notes()

    async def declare_all() -> None:
        for spec in queue_specs():
            await broker.declare_queue(spec, cast(AbstractRobustChannel, notes))

    asyncio.run(declare_all())
    return {
        "vhosts": [{"name": VHOST}],
        "exchanges": list(notes.exchanges.values()),
        "queues": list(notes.queues.values()),
        "bindings": notes.bindings,
    }


def render() -> str:
    return json.dumps(definitions(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DEFINITIONS.read_text() if DEFINITIONS.exists() else ""
        if current != text:
            print(f"{DEFINITIONS} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DEFINITIONS.write_text(text)
    print(f"wrote {DEFINITIONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
