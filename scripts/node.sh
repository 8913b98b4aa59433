#!/usr/bin/env bash
# The Node packages: Node.js 20.19+ and npm (Debian's, installed when missing and run as root;
# a newer Node.js from the npm registry when that one is older), then
# `npm ci` in clients/typescript (the TypeScript client) and in web (the board, when it has a
# lock file), each skipped while its node_modules is newer than its lock file.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TASKWIRE_ROOT"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install "or Node.js 20.19+ with npm from elsewhere" nodejs npm
    hash -r
fi
# The board's build (Vite) needs 20.19+; Debian's Node.js may be older. A newer one comes from
# the npm registry itself (the `node` package), into .tools/node, which scripts/lib.sh puts first
# on the PATH of every script from then on.
NODE_WANTED=20.19.5
recent_node() {
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}
if ! recent_node; then
    step "Node.js $NODE_WANTED into .tools/node (the machine's $(node --version) is older than 20.19)" \
        npm install --no-audit --no-fund --no-save --prefix "$TASKWIRE_NODE_DIR" "node@$NODE_WANTED"
    use_project_node
    hash -r
    recent_node || die "Node.js $(node --version) is still older than 20.19; install Node.js 20.19+ with npm"
fi
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
