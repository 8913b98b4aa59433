"""The published event catalogue is generated from the contract models and must match them."""

import json
import re
from pathlib import Path

from taskwire.common.events import asyncapi, projects, tasks

PUBLISHED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.json"


def test_published_catalogue_matches_the_models() -> None:
    assert PUBLISHED.read_bytes() == asyncapi.render(), (
        "docs/asyncapi.json is stale: regenerate it with "
        "`uv run python -m taskwire.common.events.asyncapi > docs/asyncapi.json`"
    )


def test_every_event_type_has_a_channel_and_every_reference_resolves() -> None:
    doc = asyncapi.document()
    addresses = {channel["address"] for channel in doc["channels"].values()}
    every_type = {t for catalogue in asyncapi.CATALOGUES.values() for t in catalogue}
    assert every_type >= set(projects.CATALOGUE) | set(tasks.CATALOGUE)
    assert addresses == every_type
    text = json.dumps(doc)
    refs = set(re.findall(r"#/components/(schemas|messages)/(\w+)", text))
    for section, name in refs:
        assert name in doc["components"][section], f"dangling reference {section}/{name}"
