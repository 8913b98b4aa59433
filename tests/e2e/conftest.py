"""The system end to end: every service running together (in the test's loop, as processes, or
behind the gateway) on the test's own databases and exchanges."""

from __future__ import annotations

import pytest

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.users import Users


@pytest.fixture
def users() -> Users:
    """Callers with tokens every service accepts (the development signing key)."""
    return Users(DatabaseSettings(environment="development"))
