"""What the notifier reads from its environment: the browser origins it admits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from taskwire.notifier.settings import NotifierSettings


def test_allowed_origins_read_as_a_comma_separated_or_json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    variable = "TASKWIRE_NOTIFIER_ALLOWED_ORIGINS"
    for value in (
        "https://a.example, http://B.example:8080",
        '["https://a.example", "http://b.example:8080"]',
    ):
        monkeypatch.setenv(variable, value)
        found = NotifierSettings(environment="development").allowed_origins
        assert found == ["https://a.example", "http://b.example:8080"], value
    for value in ("https://a.example/", "a.example", "https://a.example/app"):
        monkeypatch.setenv(variable, value)
        with pytest.raises(ValidationError, match="is not an origin"):
            NotifierSettings(environment="development")
