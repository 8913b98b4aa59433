#!/usr/bin/env bash
# The whole test suite, from a fresh machine: local services, uv and the environment, the
# static checks, then pytest: every level (tests/unit, tests/integration, tests/e2e). Arguments
# go to pytest (e.g. scripts/test.sh tests/integration/common -x, or -m unit).
# Stops at the first failing step, with that step's exit code.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TASKWIRE_ROOT"

started_all=$SECONDS
step "local services (Postgres, RabbitMQ, Redis)" bash scripts/services.sh
step "tools (nginx, the API gateway; promtool)" bash scripts/tools.sh
ensure_uv
step "uv sync --frozen --all-packages --group dev" sync_env
lint
step "node packages" bash scripts/node.sh
use_project_node
step "pytest${*:+ $*}" "$UV" run --frozen pytest "$@"
say "all checks passed in $((SECONDS - started_all))s"
