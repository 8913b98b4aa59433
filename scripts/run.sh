#!/usr/bin/env bash
# Run the system on this machine: the local services, the environment, then the projects service
# (migrated, then serving with its outbox relay) in the foreground. Ctrl-C stops it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TASKWIRE_ROOT"

bash scripts/services.sh --for run
ensure_uv
step "uv sync --frozen --all-packages --group dev" sync_env

host="${TASKWIRE_PROJECTS_HOST:-127.0.0.1}"
[[ "$host" == 0.0.0.0 || "$host" == "::" ]] && host=127.0.0.1
base="http://$host:${TASKWIRE_PROJECTS_PORT:-8001}"
cat <<INFO

  projects service  $base   (API under $base/api/v1, OpenAPI at $base/openapi.json)
  health            $base/livez   $base/readyz

  A development token (HS256, the development secret), then a workspace and a project:

    TOKEN=\$(uv run taskwire-token --email you@example.com --name You)
    WS=\$(curl -s -X POST $base/api/v1/workspaces \\
          -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
          -d '{"name": "Acme", "slug": "acme"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    curl -s -X POST $base/api/v1/workspaces/\$WS/projects \\
         -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
         -d '{"key": "WEB", "name": "Website"}'

INFO

# exec the installed entry point itself, so Ctrl-C and SIGTERM reach the server directly.
venv="${UV_PROJECT_ENVIRONMENT:-$TASKWIRE_ROOT/.venv}"
exec "$venv/bin/taskwire-projects" run "$@"
