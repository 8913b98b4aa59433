"""Optimistic concurrency: every change of an entity adds one to its version, and a writer may
name the version it read (`If-Match: "<version>"`); a stale one is refused, never overwritten.

Free of any framework, so that a service's rules can apply it; taskwire.common.http carries
versions on the wire.
"""

from __future__ import annotations

from taskwire.common.problems import PreconditionFailed


def if_match_allows(if_match: str | None, version: int) -> bool:
    """Whether `If-Match: "<version>"` admits `version` (strong comparison; absent or `*` admit
    any existing entity)."""
    if if_match is None:
        return True
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or f'"{version}"' in tags or str(version) in tags


def check_if_match(if_match: str | None, version: int, what: str) -> None:
    """Honour `If-Match`: a stale version answers 412 with the current one."""
    if not if_match_allows(if_match, version):
        raise PreconditionFailed(
            f"the {what} changed: it is at version {version}, not {if_match}; reload it and retry",
            current_version=version,
        )
