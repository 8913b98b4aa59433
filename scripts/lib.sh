# Shared helpers for the scripts in this directory. Source it; do not run it.
# shellcheck shell=bash

TASKWIRE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${CI:-}" ]]; then export UV_NO_PROGRESS=1; fi
# The Node.js scripts/node.sh installs beside the project when the machine's is too old: first
# on the PATH once it is there (again after scripts/node.sh has run).
TASKWIRE_NODE_DIR="$TASKWIRE_ROOT/.tools/node"
use_project_node() {
    if [[ -d "$TASKWIRE_NODE_DIR/node_modules/.bin" && ":$PATH:" != *":$TASKWIRE_NODE_DIR/node_modules/.bin:"* ]]; then
        export PATH="$TASKWIRE_NODE_DIR/node_modules/.bin:$PATH"
    fi
}
use_project_node

say() { printf '==> %s\n' "$*"; }
warn() { printf '!!! %s\n' "$*" >&2; }
die() {
    warn "$*"
    exit 1
}

# step NAME CMD...: announce, run, time it; on failure name the step and exit with its code.
step() {
    local name="$1" started rc=0
    shift
    started=$SECONDS
    say "$name"
    "$@" || rc=$?
    if ((rc != 0)); then
        warn "FAILED: $name (exit $rc): $*"
        exit "$rc"
    fi
    say "ok: $name ($((SECONDS - started))s)"
}

_usable_uv() { [[ -n "$1" && -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

# Where a pip-installed uv may live: the user scheme (~/.local/bin), the interpreter's own
# scripts directory (a pyenv version, a venv), and wherever the uv package says it put it.
_find_uv() {
    local candidate py
    candidate="$(command -v uv 2>/dev/null || true)"
    if _usable_uv "$candidate"; then
        echo "$candidate"
        return 0
    fi
    for candidate in "$HOME/.local/bin/uv" "$HOME/.cargo/bin/uv"; do
        if _usable_uv "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    for py in python3 python; do
        command -v "$py" >/dev/null 2>&1 || continue
        for candidate in \
            "$("$py" -c 'import site; print(site.getuserbase() + "/bin/uv")' 2>/dev/null)" \
            "$("$py" -c 'import sysconfig; print(sysconfig.get_path("scripts") + "/uv")' 2>/dev/null)" \
            "$("$py" -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null)"; do
            if _usable_uv "$candidate"; then
                echo "$candidate"
                return 0
            fi
        done
    done
    return 1
}

# ensure_uv: set UV to a working uv binary, installing it with pip when there is none.
ensure_uv() {
    if UV="$(_find_uv)"; then
        say "uv: $UV ($("$UV" --version))"
        return 0
    fi
    local py
    py="$(command -v python3 || command -v python || true)"
    [[ -n "$py" ]] || die "uv is missing and there is no python3 to install it with; install Python 3.11+"
    "$py" -m pip --version >/dev/null 2>&1 ||
        die "uv is missing and $py has no pip; install pip (apt-get install python3-pip) or uv"
    say "uv not found; installing it with $py -m pip"
    # --user fails inside a virtualenv; an externally managed interpreter (PEP 668) needs
    # --break-system-packages, harmless for a user-scheme install of a single binary.
    local options errors
    errors="$(mktemp)"
    for options in "--user" "" "--user --break-system-packages"; do
        # shellcheck disable=SC2086 # options is a list of flags
        if "$py" -m pip install --disable-pip-version-check --quiet $options uv 2>"$errors"; then
            rm -f "$errors"
            break
        fi
        say "pip install ${options:+$options }uv did not work: $(grep -m1 -i error "$errors" || true)"
    done
    if [[ -f "$errors" ]]; then
        cat "$errors" >&2
        rm -f "$errors"
        die "could not install uv with pip"
    fi
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi
    hash -r
    UV="$(_find_uv)" || die "uv was installed but cannot be found; add ~/.local/bin to PATH"
    say "uv: $UV ($("$UV" --version))"
}

# sync_env: the workspace virtualenv, exactly as uv.lock pins it (every package, dev tools).
sync_env() {
    (cd "$TASKWIRE_ROOT" && "$UV" sync --frozen --all-packages --group dev)
}

# lint: the static checks, the same locally (make lint) and in the test command.
lint() {
    cd "$TASKWIRE_ROOT" || exit 1
    step "ruff check" "$UV" run --frozen ruff check .
    step "ruff format --check" "$UV" run --frozen ruff format --check .
    step "mypy" "$UV" run --frozen mypy
}

# apt_install HINT PACKAGE...: install Debian packages when root (TASKWIRE_INSTALL_MISSING=0
# refuses); otherwise stop, saying what to install and HINT (what else would do).
apt_install() {
    local hint="$1"
    shift
    if [[ "${TASKWIRE_INSTALL_MISSING:-1}" == 0 || $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
        die "not installed: $*. Install them (Debian/Ubuntu: sudo apt-get install $*), $hint."
    fi
    say "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" </dev/null
}
