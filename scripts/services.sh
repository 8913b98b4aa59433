#!/usr/bin/env bash
# Start whichever of Postgres, RabbitMQ and Redis is not answering on this machine, with the
# commands below, and wait until each answers. Fast when all are up.
#
#   scripts/services.sh            for the tests: honours TASKWIRE_TEST_{POSTGRES,AMQP,REDIS}_URL
#   scripts/services.sh --for run  for the running system: honours TASKWIRE_PROJECTS_DATABASE_URL,
#                                  TASKWIRE_AMQP_URL, TASKWIRE_REDIS_URL
#
# A service whose URL points at another host or port is left alone. A missing server is
# installed with apt-get when running as root (set TASKWIRE_INSTALL_MISSING=0 to refuse).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$PATH:/usr/sbin:/sbin" # rabbitmq-server lives there and may be off a user's PATH

purpose="test"
case "${1:-}" in
"") ;;
--for)
    purpose="${2:?--for needs test or run}"
    ;;
--for=*) purpose="${1#--for=}" ;;
*) die "usage: $0 [--for test|run]" ;;
esac
case "$purpose" in
test) url_vars=(TASKWIRE_TEST_POSTGRES_URL TASKWIRE_TEST_AMQP_URL TASKWIRE_TEST_REDIS_URL) ;;
run) url_vars=(TASKWIRE_PROJECTS_DATABASE_URL TASKWIRE_AMQP_URL TASKWIRE_REDIS_URL) ;;
*) die "--for takes test or run, not '$purpose'" ;;
esac

names=(postgres rabbitmq redis)
ports=(5432 5672 6379)
packages=(postgresql rabbitmq-server redis-server)
deadlines=(60 120 30) # seconds; RabbitMQ usually needs ~20s
logs=("/var/log/postgresql/" "/var/log/rabbitmq/" "/var/log/redis/ci.log")

# Is URL (if set) one for the local service on PORT? Unset means the local default.
is_local() {
    local url="$1" port="$2" hostport host url_port
    [[ -z "$url" ]] && return 0
    hostport="${url#*://}"
    hostport="${hostport%%/*}"
    hostport="${hostport##*@}"
    if [[ "$hostport" == \[* ]]; then # [::1]:5432
        host="${hostport%%]*}"
        host="${host#[}"
        url_port="${hostport#*]}"
        url_port="${url_port#:}"
    else
        host="${hostport%%:*}"
        url_port=""
        [[ "$hostport" == *:* ]] && url_port="${hostport##*:}"
    fi
    [[ "${url_port:-$port}" == "$port" ]] || return 1
    case "$host" in "" | 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

answers() {
    case "$1" in
    postgres)
        if command -v pg_isready >/dev/null 2>&1; then
            pg_isready -q -h 127.0.0.1 -p 5432 -t 2
        else
            tcp_open 5432
        fi
        ;;
    rabbitmq) tcp_open 5672 ;; # the AMQP listener opens only once the node has booted
    redis)
        if command -v redis-cli >/dev/null 2>&1; then
            [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]
        else
            tcp_open 6379
        fi
        ;;
    esac
}

installed() {
    case "$1" in
    postgres) command -v pg_ctlcluster >/dev/null 2>&1 && compgen -G "/etc/postgresql/*/main" >/dev/null ;;
    rabbitmq) command -v rabbitmq-server >/dev/null 2>&1 ;;
    redis) command -v redis-server >/dev/null 2>&1 ;;
    esac
}

# The installed PostgreSQL versions that have a `main` cluster (`ls /etc/postgresql`).
pg_versions() {
    local conf
    for conf in /etc/postgresql/*/main; do
        [[ -d "$conf" ]] || continue
        conf="${conf%/main}"
        echo "${conf##*/}"
    done
}

start() {
    case "$1" in
    postgres)
        local version
        for version in $(pg_versions); do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
                warn "pg_ctlcluster $version main start failed (not root? try with sudo)"
        done
        ;;
    rabbitmq) rabbitmq-server -detached || warn "rabbitmq-server -detached failed" ;;
    redis)
        mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
            warn "redis-server failed to start (not root? try with sudo)"
        ;;
    esac
}

# A freshly installed cluster uses password auth on TCP; the local machines trust loopback.
trust_loopback() {
    local hba version
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        [[ -f "$hba" ]] || continue
        say "postgres: trust auth for 127.0.0.1 and ::1 in $hba"
        sed -i -E 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128)[[:space:]]+)[^[:space:]]+#\1trust#' "$hba"
    done
    for version in $(pg_versions); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
    done
}

down=()
for i in "${!names[@]}"; do
    name="${names[$i]}"
    var="${url_vars[$i]}"
    if ! is_local "${!var:-}" "${ports[$i]}"; then
        say "$name: $var points elsewhere; not managed here"
    elif answers "$name"; then
        say "$name: up on 127.0.0.1:${ports[$i]}"
    else
        down+=("$i")
    fi
done
((${#down[@]} == 0)) && exit 0

missing=()
for i in "${down[@]}"; do
    installed "${names[$i]}" || missing+=("${packages[$i]}")
done
if ((${#missing[@]} > 0)); then
    apt_install "or point TASKWIRE_TEST_*_URL at running ones" "${missing[@]}"
    [[ " ${missing[*]} " == *" postgresql "* ]] && trust_loopback
fi

for i in "${down[@]}"; do # a package's install may have started it already
    if answers "${names[$i]}"; then
        say "${names[$i]}: up on 127.0.0.1:${ports[$i]}"
    else
        say "${names[$i]}: not answering; starting it"
        start "${names[$i]}"
    fi
done

for i in "${down[@]}"; do
    name="${names[$i]}"
    started=$SECONDS
    until answers "$name"; do
        waited=$((SECONDS - started))
        ((waited < deadlines[i])) ||
            die "$name did not answer on 127.0.0.1:${ports[$i]} within ${deadlines[$i]}s; see ${logs[$i]}"
        ((waited % 5 == 0)) && say "$name: waiting (${waited}s)"
        sleep 1
    done
    say "$name: up on 127.0.0.1:${ports[$i]} after $((SECONDS - started))s"
done
