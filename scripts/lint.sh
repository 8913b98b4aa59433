#!/usr/bin/env bash
# The static checks: ruff lint, ruff format check, mypy (strict). Part of scripts/test.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_uv
lint
