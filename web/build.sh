#!/usr/bin/env bash
# Build the board into web/dist when it is missing or older than any of its sources (its own,
# or the client library's it is built from); install web/node_modules first (npm ci) when it is
# missing or older than the lock. Does nothing when both are up to date.
#
#   bash web/build.sh            (scripts/run.sh and the browser tests call it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# The Node.js scripts/node.sh installs when the machine's is too old, when run on its own.
if [[ -d ../.tools/node/node_modules/.bin ]]; then PATH="$PWD/../.tools/node/node_modules/.bin:$PATH"; fi

newer_than() { # newer_than FILE PATH...: some PATH (or a file under it) is newer than FILE
    local file="$1"
    shift
    [[ ! -e "$file" ]] || [[ -n "$(find "$@" -newer "$file" -print -quit 2>/dev/null)" ]]
}

command -v npm >/dev/null 2>&1 || {
    echo "web/build.sh: npm is not installed (Node.js 20.19+ with npm builds the board)" >&2
    exit 1
}
# Vite 8 needs Node.js 20.19+ (or 22.12+).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || {
    echo "web/build.sh: Node.js $(node --version) is too old to build the board: 20.19 or later" >&2
    exit 1
}
if newer_than node_modules/.package-lock.json package.json package-lock.json; then
    echo "==> web: npm ci"
    npm ci --no-audit --no-fund
fi
if newer_than dist/index.html src index.html package.json package-lock.json vite.config.ts \
    tsconfig.json ../clients/typescript/src ../clients/typescript/package.json; then
    echo "==> web: npm run build"
    npm run build
fi
