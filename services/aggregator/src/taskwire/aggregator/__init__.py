"""The aggregator: exact task counts and a derived status per project, from task events."""
