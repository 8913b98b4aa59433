#!/usr/bin/env bash
# Run the system on this machine: the local services, the environment, then every service (each
# migrated, then serving with its relay and consumers) under scripts/supervise.py. Ctrl-C stops it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TASKWIRE_ROOT"

bash scripts/services.sh --for run
bash scripts/tools.sh --for run
ensure_uv
step "uv sync --frozen --all-packages --group dev" sync_env

# The board (web/dist), which the gateway serves: built when missing or older than its sources,
# with Node.js and the packages scripts/node.sh installs.
step "node packages" bash scripts/node.sh
step "the board (web/build.sh)" bash web/build.sh

url() { # the URL a service answers on, from its HOST/PORT settings
    local host="${1}" port="${2}"
    [[ "$host" == 0.0.0.0 || "$host" == "::" ]] && host=127.0.0.1
    printf 'http://%s:%s' "$host" "$port"
}
projects=$(url "${TASKWIRE_PROJECTS_HOST:-127.0.0.1}" "${TASKWIRE_PROJECTS_PORT:-8001}")
tasks=$(url "${TASKWIRE_TASKS_HOST:-127.0.0.1}" "${TASKWIRE_TASKS_PORT:-8002}")
aggregator=$(url "${TASKWIRE_AGGREGATOR_HOST:-127.0.0.1}" "${TASKWIRE_AGGREGATOR_PORT:-8003}")
notifier=$(url "${TASKWIRE_NOTIFIER_HOST:-127.0.0.1}" "${TASKWIRE_NOTIFIER_PORT:-8004}")
gateway=$(url 127.0.0.1 "${TASKWIRE_GATEWAY_PORT:-8080}")
cat <<INFO

  API gateway       $gateway   (the board at $gateway/, REST under $gateway/api/v1, the live feed at ${gateway/http/ws}/ws)
  projects service  $projects   (OpenAPI at $projects/openapi.json)
  tasks service     $tasks   (OpenAPI at $tasks/openapi.json)
  aggregator        $aggregator   (OpenAPI at $aggregator/openapi.json)
  notifier          ${notifier/http/ws}/ws   (docs/notifier.md)
  health            <service>/livez   <service>/readyz

  A development token (HS256, the development secret), then a workspace, a project and a task,
  all through the gateway:

    TOKEN=\$(uv run taskwire-token --email you@example.com --name You)
    AUTH="Authorization: Bearer \$TOKEN"; JSON='Content-Type: application/json'
    id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
    WS=\$(curl -s -X POST $gateway/api/v1/workspaces -H "\$AUTH" -H "\$JSON" \\
          -d '{"name": "Acme"}' | id)
    PROJECT=\$(curl -s -X POST $gateway/api/v1/workspaces/\$WS/projects -H "\$AUTH" -H "\$JSON" \\
          -d '{"key": "WEB", "name": "Website"}' | id)
    curl -s -X POST $gateway/api/v1/projects/\$PROJECT/tasks -H "\$AUTH" -H "\$JSON" \\
         -d '{"title": "Ship the board"}'
    curl -s $gateway/api/v1/projects/\$PROJECT -H "\$AUTH"   # its counts and derived status

  Watch the board live (a plain WebSocket client; docs/notifier.md has the protocol):
    uv run python scripts/feed.py --url ${gateway/http/ws}/ws --room project:\$PROJECT --token "\$TOKEN"

  Recount a project from the tasks service and repair any drift:
    uv run taskwire-aggregator reconcile --project \$PROJECT

INFO

# exec the supervisor itself, so Ctrl-C and SIGTERM reach it and it stops each service in turn.
venv="${UV_PROJECT_ENVIRONMENT:-$TASKWIRE_ROOT/.venv}"
exec "$venv/bin/python" scripts/supervise.py "$@"
