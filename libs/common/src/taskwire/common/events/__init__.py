"""The event envelope (docs/asyncapi.json), its encoding, and the typed contracts per producer."""

from taskwire.common.events.envelope import (
    Envelope,
    EventDecodeError,
    Subject,
    decode,
    encode,
    new_event,
)

__all__ = ["Envelope", "EventDecodeError", "Subject", "decode", "encode", "new_event"]
