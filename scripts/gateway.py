"""The API gateway for a local run: nginx in the foreground with deploy/nginx's routes.

    python scripts/gateway.py            (port: TASKWIRE_GATEWAY_PORT, default 8080)

Renders deploy/nginx/taskwire.conf.template with the services' local addresses (their
TASKWIRE_<SERVICE>_HOST/PORT, as the supervisor runs them, or the replicas listed in
TASKWIRE_<SERVICE>_UPSTREAMS) and the board's built files (TASKWIRE_GATEWAY_WEB_ROOT, default
web/dist) into a private directory, checks
it (`nginx -t`) and runs nginx there, so it needs no system configuration and leaves none.
"""

from __future__ import annotations

import os
import shutil
import string
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx" / "taskwire.conf.template"
WEB_ROOT = ROOT / "web" / "dist"
SERVICES = {"projects": 8001, "tasks": 8002, "aggregator": 8003, "notifier": 8004}
MAIN = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/taskwire.conf;
}}
"""
INSTALL = "apt-get install nginx (scripts/tools.sh does it when run as root)"
# The gateway's limits (deploy/README.md, "Limits"), each overridden by TASKWIRE_GATEWAY_<NAME>:
# far above what one person's browser sends, so only a flood or a runaway script meets them.
LIMITS = {
    "RATE_PER_CALLER": 100,  # requests a second, per bearer token (else per address)
    "BURST_PER_CALLER": 200,
    "RATE_PER_ADDRESS": 1000,  # an office behind one address is many callers
    "BURST_PER_ADDRESS": 2000,
    "WS_UPGRADES_PER_ADDRESS": 20,
    "WS_UPGRADE_BURST": 100,
    "WS_CONNECTIONS_PER_ADDRESS": 1000,
}


def upstream(service: str, port: int) -> str:
    """The service's address; or, when TASKWIRE_<SERVICE>_UPSTREAMS lists several (host:port,
    comma-separated: replicas), all of them, among which nginx balances and fails over."""
    prefix = f"TASKWIRE_{service.upper()}_"
    if replicas := os.environ.get(prefix + "UPSTREAMS"):
        return "; server ".join(address.strip() for address in replicas.split(","))
    host = os.environ.get(prefix + "HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"{host}:{os.environ.get(prefix + 'PORT', port)}"


def web_root() -> str:
    """The board's files (web/dist unless TASKWIRE_GATEWAY_WEB_ROOT names another build): an
    absolute path, written into the routes as it is. Without a build, the gateway answers its
    pages with a message saying how to build it."""
    root = Path(os.environ.get("TASKWIRE_GATEWAY_WEB_ROOT") or WEB_ROOT).resolve()
    if any(c in str(root) for c in " ;{}\"'\n\\$"):
        sys.exit(f"gateway: TASKWIRE_GATEWAY_WEB_ROOT must be a plain path, not {str(root)!r}")
    if not (root / "index.html").is_file():
        print(
            f"gateway: {root}/index.html is missing: build the board (npm ci && npm run build in"
            " web/)",
            flush=True,
        )
    return str(root)


def render(directory: Path) -> Path:
    values = {f"{name.upper()}_UPSTREAM": upstream(name, port) for name, port in SERVICES.items()}
    values["GATEWAY_PORT"] = os.environ.get("TASKWIRE_GATEWAY_PORT", "8080")
    values["WEB_ROOT"] = web_root()
    for name, default in LIMITS.items():
        value = os.environ.get(f"TASKWIRE_GATEWAY_{name}", str(default))
        if not value.isdigit() or int(value) < 1:
            sys.exit(
                f"gateway: TASKWIRE_GATEWAY_{name} must be a whole number above 0, not {value!r}"
            )
        values[name] = value
    # safe_substitute: nginx's own $variables are left as they are.
    routes = string.Template(TEMPLATE.read_text()).safe_substitute(values)
    (directory / "taskwire.conf").write_text(routes)
    main = directory / "nginx.conf"
    main.write_text(MAIN.format(dir=directory))
    return main


def main() -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if nginx is None:
        sys.exit(f"gateway: nginx is not installed; {INSTALL}")
    port = os.environ.get("TASKWIRE_GATEWAY_PORT", "8080")
    directory = Path(tempfile.gettempdir()) / f"taskwire-gateway-{port}"
    directory.mkdir(exist_ok=True)
    config = render(directory)
    print(f"gateway: nginx on :{port}, configuration in {directory}", flush=True)
    os.execv(nginx, [nginx, "-p", str(directory), "-c", str(config)])


if __name__ == "__main__":
    main()
