"""The projects command line, where it needs no database: its usage, and what it says of a
server it cannot reach."""

from __future__ import annotations

import pytest

from taskwire.projects.cli import main


def test_cli_migrate_explains_an_unreachable_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/taskwire_projects"
    monkeypatch.setenv("TASKWIRE_PROJECTS_DATABASE_URL", url)
    with pytest.raises(SystemExit) as exited:
        main(["migrate"])
    message = str(exited.value.code)
    assert "Postgres is not reachable at postgresql+asyncpg://postgres:***@127.0.0.1:1/" in message
    assert "pg_ctlcluster --skip-systemctl-redirect" in message
    assert "TASKWIRE_PROJECTS_DATABASE_URL" in message
    assert "s3cret" not in message + capsys.readouterr().out


def test_cli_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "migrate" in capsys.readouterr().err
