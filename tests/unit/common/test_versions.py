"""The If-Match rule, without I/O: the version read, or none named, lets a write through."""

from __future__ import annotations

import pytest

from taskwire.common.errors import PreconditionFailed
from taskwire.common.versions import check_if_match


@pytest.mark.parametrize("header", [None, "*", '"3"', '"1", "3"', "3"])
def test_if_match_accepts_the_current_version(header: str | None) -> None:
    check_if_match(header, 3, "thing")


@pytest.mark.parametrize("header", ['"2"', 'W/"3"', "", "garbage"])
def test_if_match_refuses_anything_else(header: str) -> None:
    with pytest.raises(PreconditionFailed):
        check_if_match(header, 3, "thing")
