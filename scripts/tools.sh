#!/usr/bin/env bash
# The programs besides Python and the local services that the project runs, installed with
# apt-get when missing (as root; TASKWIRE_INSTALL_MISSING=0 refuses):
#
#   scripts/tools.sh            for the tests: nginx, the API gateway of the local run and of its
#                               end-to-end tests; promtool, which checks deploy/prometheus;
#                               Debian's chromium, which the browser tests drive (as root; else
#                               they are skipped without it)
#   scripts/tools.sh --for run  for the running system: nginx
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$PATH:/usr/sbin:/sbin" # nginx lives there and may be off a user's PATH

case "${1:-} ${2:-}" in
" " | "--for test") purpose=test ;;
"--for run") purpose=run ;;
*) die "usage: $0 [--for test|run]" ;;
esac

if ! command -v nginx >/dev/null 2>&1; then
    apt_install "or run the services without the gateway: python scripts/supervise.py projects tasks aggregator notifier" nginx
fi
say "nginx: $(nginx -v 2>&1)"

[[ "$purpose" == test ]] || exit 0
# Debian has promtool in the prometheus package, with the server, which the package enables as a
# system service: only promtool is wanted here, so a server it started is stopped again.
if ! command -v promtool >/dev/null 2>&1; then
    apt_install "or put promtool from a Prometheus release on PATH" prometheus
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
fi
say "promtool: $(promtool --version 2>&1 | head -n 1)"
# The browser tests (tests/e2e/test_browser.py) drive Debian's Chromium; a browser build of the
# test tool's own cannot be downloaded here. Without root it is only named: those tests skip.
chromium="${TASKWIRE_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    if [[ $EUID -eq 0 && "${TASKWIRE_INSTALL_MISSING:-1}" != 0 ]] && command -v apt-get >/dev/null; then
        apt_install "" chromium
    else
        warn "not installed: chromium (Debian/Ubuntu: sudo apt-get install chromium); the browser tests will be skipped"
    fi
fi
if [[ -x "$chromium" ]]; then say "chromium: $("$chromium" --version 2>/dev/null | head -n 1)"; fi
