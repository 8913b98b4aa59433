"""The replica of the projects service's data this service needs, kept from its events."""

from taskwire.tasks.replica.handlers import BINDINGS, Replica

__all__ = ["BINDINGS", "Replica"]
