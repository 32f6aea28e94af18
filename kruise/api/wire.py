"""Agreements between kruise.client and the embedded API server beyond the Kubernetes API.

Both sides keep working without them: a real kube-apiserver ignores the header, and the client
still drops what the header asked the server to leave out.
"""

from __future__ import annotations

from typing import Any

# Sent on a watch by a client that keeps the objects in a cache and never reads
# metadata.managedFields: the server then leaves them out of the events. They are most of a Pod's
# bytes, and decoding them only to drop them was a fifth of each controller's CPU.
OMIT_MANAGED_FIELDS = "X-Kruise-Omit-Managed-Fields"


def without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` without metadata.managedFields; `obj` itself when it has none (never modified)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
