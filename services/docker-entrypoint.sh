#!/bin/sh
# Entry point of every service image: `taskwire-$TASKWIRE_SERVICE <command>` (default: run).
# Inside a container the service must listen on every interface, on the image's port, unless
# the environment already says otherwise (TASKWIRE_<SERVICE>_HOST / TASKWIRE_<SERVICE>_PORT).
set -eu
prefix="TASKWIRE_$(echo "$TASKWIRE_SERVICE" | tr '[:lower:]' '[:upper:]')"
eval "export ${prefix}_HOST=\"\${${prefix}_HOST:-0.0.0.0}\""
eval "export ${prefix}_PORT=\"\${${prefix}_PORT:-$TASKWIRE_SERVICE_PORT}\""
[ "$#" -eq 0 ] && set -- run
exec "taskwire-$TASKWIRE_SERVICE" "$@"
