"""The JSON Schemas shipped in ``conformance/schema/``, read once each.

Every reader of a shipped schema comes here: the YAML core (scenario, profile, limitations
and their common definitions) and the report writers (results, baseline, wptreport).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["load_schema"]


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``conformance/schema/<name>.schema.json`` (``name``: ``scenario``)."""
    text = resources.files("conformance").joinpath("schema", f"{name}.schema.json").read_text(
        encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
