"""Identifiers: UUIDv7, so ids sort by creation time and keyset pagination can use the id alone."""

from uuid import UUID

import uuid_utils.compat as uuid_compat


def new_id() -> UUID:
    return uuid_compat.uuid7()
