"""Types of the factory fixtures in tests/integration/common/conftest.py, shared by the tests
that use them."""

from collections.abc import Callable

from taskwire.common.broker import Broker
from taskwire.common.relay import OutboxRelay

BrokerFactory = Callable[..., Broker]
RelayFactory = Callable[..., OutboxRelay]
