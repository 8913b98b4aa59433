"""Everyone the soak drives, cast from the world: per workspace, its writers, its owner (who
also writes, assigning its tasks to itself, and changes members, statuses and projects) and two
watchers of the owner on the workspace's room, the owner's user room and every project's (one
reading its socket slowly)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from taskwire.testkit.soak.admin import Admin
from taskwire.testkit.soak.calls import Caller
from taskwire.testkit.soak.history import History
from taskwire.testkit.soak.races import Races
from taskwire.testkit.soak.watchers import Room, Watcher
from taskwire.testkit.soak.world import Workspace
from taskwire.testkit.soak.writers import Writer
from taskwire.testkit.users import Users


@dataclass
class Clients:
    gateway: str
    writers: list[Writer]  # the owners' own among them
    admins: list[Admin]
    watchers: list[Watcher]
    races: Races
    history: History

    @property
    def people(self) -> list[Writer]:
        """The writers that are not an owner's own (an owner writes in its own turns)."""
        owners = {id(admin.writer) for admin in self.admins}
        return [writer for writer in self.writers if id(writer) not in owners]

    async def close(self) -> None:
        for writer in self.writers:
            await writer.caller.close()
        for admin in self.admins:
            await admin.caller.close()


def cast(spaces: list[Workspace], gateway: str, users: Users, rng: random.Random) -> Clients:
    """Each client with its own random stream, drawn from the seed's in a fixed order."""
    history, races = History(), Races()
    clients = Clients(gateway, [], [], [], races, history)

    def writer(name: str, token: str, space: Workspace) -> Writer:
        caller = Caller(gateway, token, history, random.Random(rng.random()))
        made = Writer(name, caller, space.projects, random.Random(rng.random()), races)
        clients.writers.append(made)
        return made

    for space in spaces:
        for person in space.writers:
            writer(person.name, person.token, space)
        owner = writer(space.owner.name, space.owner.token, space)
        owner.assignee = str(space.owner.id)
        caller = Caller(gateway, space.owner.token, history, random.Random(rng.random()))
        clients.admins.append(Admin(space, caller, owner, users, random.Random(rng.random())))
        for n in range(2):
            rooms = [Room(f"workspace:{space.id}", None), Room(f"user:{space.owner.id}", None)]
            rooms += [Room(f"project:{p.id}", p.id) for p in space.projects]
            name = f"watcher {space.owner.name}/{n}"
            watcher = Watcher(name, space.owner, gateway, rooms, random.Random(rng.random()))
            clients.watchers.append(watcher)
    clients.watchers[-1].slow = True
    return clients
