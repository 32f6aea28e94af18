"""Admission webhooks: the HTTPS server, its certificates, and their registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runtime import WebhookRuntime


def register_all(runtime: WebhookRuntime) -> None:
    """Every Kruise admission webhook, on one server."""
    from . import cloneset, conversion, pod

    cloneset.register(runtime)
    conversion.register(runtime)
    pod.register(runtime)
