"""The soak: the whole system driven as real clients drive it, for minutes, while faults are
injected at random; then every guarantee checked at once against what the clients were told.

`history` records what each client asked and was told; `calls` makes a request the way a
careful client does (a deadline, the same `Idempotency-Key` on a retry); `world` makes the
workspaces, people and projects; `writers` are the clients; `checker` holds every guarantee
against the services' state; `report` prints it all.
"""
