"""What the tests and the benchmarks both use to run and drive Taskwire on local Postgres,
RabbitMQ and Redis: where they are, databases made and dropped, processes started, users with
tokens, worlds seeded and events made by hand. Nothing here knows of pytest: the fixtures built
on it live in tests/support."""
