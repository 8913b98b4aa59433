#!/usr/bin/env bash
# The Node packages: Node.js 18+ and npm (Debian's, installed when missing and run as root), then
# `npm ci` in clients/typescript (the TypeScript client) and in web (the board, when it has a
# lock file), each skipped while its node_modules is newer than its lock file.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TASKWIRE_ROOT"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install "or Node.js 18+ with npm from elsewhere" nodejs npm
    hash -r
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 18)) || die "Node.js $(node --version) is too old: the TypeScript client needs 18 or later"
say "node $(node --version), npm $(npm --version)"

# npm ci DIR: the packages exactly as DIR's package-lock.json pins them.
install() {
    local dir="$1"
    # npm writes node_modules/.package-lock.json last: newer than the lock, nothing changed since.
    if [[ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
        say "$dir: node_modules is up to date with package-lock.json"
        return 0
    fi
    (cd "$dir" && npm ci --no-audit --no-fund)
}

# The client first: web installs it from ../clients/typescript.
step "npm ci (clients/typescript)" install clients/typescript
if [[ -f web/package-lock.json ]]; then
    step "npm ci (web)" install web
fi
