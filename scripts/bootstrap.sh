#!/usr/bin/env bash
# Make the workspace ready: uv (installed with pip if absent), then .venv exactly as uv.lock pins
# it, with every workspace package and the dev tools (pytest, ruff, mypy).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_uv
step "uv sync --frozen --all-packages --group dev" sync_env
