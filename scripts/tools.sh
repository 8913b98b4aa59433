#!/usr/bin/env bash
# The programs besides Python and the local services that the project runs: nginx, the API
# gateway of the local run and of its end-to-end tests. Installed with apt-get when missing
# (as root; TASKWIRE_INSTALL_MISSING=0 refuses).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$PATH:/usr/sbin:/sbin" # nginx lives there and may be off a user's PATH

if ! command -v nginx >/dev/null 2>&1; then
    apt_install "or run the services without the gateway: python scripts/supervise.py projects tasks aggregator notifier" nginx
fi
say "nginx: $(nginx -v 2>&1)"
