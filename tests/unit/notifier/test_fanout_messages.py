"""Reading the fan-out channel strictly: a revoke or a batch's frames, whole, or `Unreadable`
with why and whom it may have concerned (the rooms or user it names, or anyone)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from taskwire.notifier.fanout_messages import Revoke, Unreadable, read, revoke_message

ROOM, OTHER = f"project:{uuid4()}", f"user:{uuid4()}"
FRAME = '{"op":"event","title":"café"}'


def test_a_batch_and_a_revoke_are_read_whole() -> None:
    batch = f"{ROOM}\n41\n{FRAME}\n{OTHER}\n7\n{{}}".encode()
    assert read(batch) == [(ROOM, 41, FRAME.encode()), (OTHER, 7, b"{}")]
    workspace, user = uuid4(), uuid4()
    assert read(revoke_message(workspace, user)) == Revoke(workspace, user)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (f"{ROOM}\n41\n{FRAME}\n{OTHER}\n7".encode(), "truncated"),
        (f"{ROOM}\n41\n{FRAME}\n{OTHER}\n-7\n{{}}".encode(), "sequence"),
        (f"{ROOM}\n 41\n{FRAME}\n{OTHER}\n7\n{{}}".encode(), "sequence"),
        (f"{ROOM}\n41\n{FRAME}\n{OTHER}\n7\nnull".encode(), "frame"),
        (f"{ROOM}\n41\n{{\xff}}\n{OTHER}\n7\n{{}}".encode("latin-1"), "frame"),
    ],
)
def test_a_fault_in_place_names_the_rooms_it_may_have_concerned(
    message: bytes, reason: str
) -> None:
    with pytest.raises(Unreadable) as raised:
        read(message)
    found = raised.value
    assert (found.reason, found.rooms, found.users, found.anyone) == (
        reason,
        frozenset({ROOM, OTHER}),
        frozenset(),
        False,
    )


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"hello",
        b"\xff\xfe",
        f"{ROOM}\n{FRAME}\n{OTHER}\n7\n{{}}".encode(),  # a line missing: all slip
        f"project:{uuid4()}x\n1\n{{}}".encode(),
    ],
)
def test_lines_out_of_place_may_concern_anyone(message: bytes) -> None:
    with pytest.raises(Unreadable) as raised:
        read(message)
    assert (raised.value.reason, raised.value.anyone) == ("room", True)


def test_an_unreadable_revoke_names_its_user_when_it_can() -> None:
    user = uuid4()
    with pytest.raises(Unreadable) as raised:
        read(f"!revoke\nnot-an-id\n{user}".encode())
    assert (raised.value.reason, raised.value.users, raised.value.anyone) == (
        "revoke",
        frozenset({user}),
        False,
    )
    with pytest.raises(Unreadable) as raised:
        read(f"!revoke\n{uuid4()}\n\xff".encode("latin-1"))
    assert (raised.value.reason, raised.value.anyone) == ("revoke", True)


def test_what_is_logged_never_holds_a_frame() -> None:
    secret = '{"op":"event","title":"' + "x" * 100 + '\xff"}'
    with pytest.raises(Unreadable) as raised:
        read(f"{ROOM}\n1\n".encode() + secret.encode("latin-1"))
    assert "xxx" not in raised.value.detail, raised.value.detail
    with pytest.raises(Unreadable) as raised:
        read(f"{ROOM}\n{'9' * 200}x\n{{}}".encode())
    assert len(raised.value.detail) < 100, raised.value.detail
