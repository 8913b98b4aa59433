"""The replica's consumer: each event applied as `handlers.HANDLERS` says, in the consumer's
transaction, and the directory entries it changed announced to every process.

The announcement is delivered at commit (see `invalidation`); this process also forgets the
entries right after its commit, not waiting for its own notification: its next request must
already see the change (a removed member's next write is refused at once).
"""

from __future__ import annotations

import logging
from functools import partial

from taskwire.common.events import Envelope
from taskwire.common.outbox import EventUnitOfWork
from taskwire.tasks.handlers import HANDLERS
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.invalidation import announce, forget

log = logging.getLogger(__name__)


class Replica:
    """The consumer's handler; `directory` is this process's cache of what it writes."""

    def __init__(self, directory: Directory | None = None) -> None:
        self.directory = directory

    async def handle(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        apply = HANDLERS.get(envelope.type)
        if apply is None:
            log.debug("%s %s keeps nothing in the replica; ignored", envelope.type, envelope.id)
            return
        for entry in await apply(uow, envelope):
            await announce(uow.connection, entry)
            if self.directory is not None:
                uow.after_commit(partial(forget, self.directory, entry))
