"""Benchmarks (bench/README.md). Each runs beside a local system: on the development secrets, as
the run command does, a setting every service a benchmark starts inherits."""

import os

os.environ.setdefault("TASKWIRE_ENVIRONMENT", "development")
