"""Lifecycle hooks: postStart (blocks the container's start) and preStop (eats into the grace)."""

from __future__ import annotations

from typing import Any

from .actions import ActionContext, Outcome, run_action

Obj = dict[str, Any]

POST_START_TIMEOUT = 120.0  # a hung postStart must not wedge the pod worker forever


def hook(container: Obj, name: str) -> Obj | None:
    handler = (container.get("lifecycle") or {}).get(name)
    return handler if isinstance(handler, dict) and handler else None


async def run_post_start(container: Obj, ctx: ActionContext) -> Outcome | None:
    """None when the container has no postStart hook."""
    handler = hook(container, "postStart")
    if handler is None:
        return None
    return await run_action(ctx.runtime.route_action("hook", handler), ctx, POST_START_TIMEOUT)


async def run_pre_stop(container: Obj, ctx: ActionContext, grace: float) -> Outcome | None:
    """Runs for at most the grace period; None when the container has none."""
    handler = hook(container, "preStop")
    if handler is None or grace <= 0:
        return None
    return await run_action(ctx.runtime.route_action("hook", handler), ctx, grace)
