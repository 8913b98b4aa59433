"""The files under deploy/ and docker-compose.yml as the tests read them, and what the Grafana
dashboards and the Prometheus rules there query: the unit level checks the files, the end-to-end
level that the running services export every metric they name."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules.yml"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))

Json = dict[str, Any]


def load_documents(path: Path) -> list[Json]:
    with path.open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def load(path: Path) -> Json:
    document = json.loads(path.read_text())
    assert isinstance(document, dict), path
    return document


# -- what a query selects ------------------------------------------------------------------------

_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`""")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = {
    *("by", "without", "on", "ignoring", "group_left", "group_right"),
    *("and", "or", "unless", "bool", "offset", "inf", "nan", "le"),
}


def metric_names(expr: str) -> set[str]:
    """The metrics a PromQL expression selects: its names that are neither a function called
    nor a keyword, once label matchers, ranges, label lists and strings are set aside."""
    text = _STRING.sub('""', expr)
    for pattern, blank in ((_MATCHERS, "{}"), (_RANGE, "[]"), (_LABEL_LIST, " ")):
        text = pattern.sub(blank, text)
    return {
        name for name, call in _NAME.findall(text) if not call and name.lower() not in _KEYWORDS
    }


def family(name: str) -> str:
    """A sample's metric family: its name without the suffix the exposition adds."""
    return re.sub(r"_(?:bucket|sum|count|total)$", "", name)


def rules() -> Iterator[Json]:
    (document,) = load_documents(RULES)
    for group in document["groups"]:
        yield from group["rules"]


def panels(dashboard: Json) -> Iterator[Json]:
    """Its panels that query, those inside rows included."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def queries(dashboard: Json) -> Iterator[str]:
    for panel in panels(dashboard):
        for target in panel["targets"]:
            yield target["expr"]


def queried() -> Iterator[tuple[str, set[str]]]:
    """What each dashboard and the rules query, by the file's name."""
    for path in DASHBOARDS:
        yield path.name, set().union(*map(metric_names, queries(load(path))))
    yield RULES.name, set().union(*(metric_names(rule["expr"]) for rule in rules()))
