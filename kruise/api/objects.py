"""Helpers over Kubernetes objects as JSON-like dicts."""

from __future__ import annotations

from typing import Any

import orjson


def clone(obj: Any) -> Any:
    """Deep copy of a JSON document; several times faster than copy.deepcopy."""
    return orjson.loads(orjson.dumps(obj))
