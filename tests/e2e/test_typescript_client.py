"""The TypeScript client (clients/typescript): its type check and unit tests, then its
integration tests against the system running behind the gateway, drift test included (the
committed OpenAPI documents against the running services')."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import GatewaySystem

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"


async def npm(script: str, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    """`npm run SCRIPT` in the client's folder: its exit code and everything it printed."""
    npm = shutil.which("npm")
    if npm is None or not (CLIENT / "node_modules").is_dir():
        pytest.fail("Node.js, npm or the client's packages are missing: run scripts/node.sh")
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", **(extra_env or {})}
    process = await asyncio.create_subprocess_exec(
        npm,
        "run",
        script,
        cwd=CLIENT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.timeout(300)
async def test_the_client_type_checks_and_passes_its_unit_tests() -> None:
    for script in ("typecheck", "test"):
        code, output = await npm(script)
        assert code == 0, f"npm run {script} failed (exit {code}):\n{output}"


@pytest.mark.timeout(300)
async def test_the_client_against_the_system_behind_the_gateway(
    gateway_system: GatewaySystem,
) -> None:
    documents = {
        f"TASKWIRE_OPENAPI_{name.upper()}": f"{gateway_system.service(name)}/openapi.json"
        for name in ("projects", "tasks", "aggregator")
    }
    code, output = await npm(
        "test:integration", {"TASKWIRE_GATEWAY": gateway_system.gateway, **documents}
    )
    assert code == 0, (
        f"npm run test:integration failed (exit {code}):\n{output}\n"
        "the system's last output:\n" + "".join(gateway_system.output[-40:])
    )
