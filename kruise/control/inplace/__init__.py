"""The in-place update engine shared by CloneSet, Advanced StatefulSet and Advanced DaemonSet (§2).

`spec` decides what may change in place, `state` reads and writes the pod-side bookkeeping, `control`
plans and executes the update and the per-reconcile refresh.
"""

from .control import (
    InPlaceControl,
    RefreshPlan,
    RefreshResult,
    SettledPods,
    UpdateResult,
    has_readiness_gate,
    inject_inplace_readiness_gate,
    plan_refresh,
    plan_update,
)
from .spec import UpdateSpec, calculate_spec, can_update_in_place, qos_class
from .state import InPlaceUpdateState, is_update_completed, read_state

__all__ = [
    "InPlaceControl",
    "InPlaceUpdateState",
    "RefreshPlan",
    "RefreshResult",
    "SettledPods",
    "UpdateResult",
    "UpdateSpec",
    "calculate_spec",
    "can_update_in_place",
    "has_readiness_gate",
    "inject_inplace_readiness_gate",
    "is_update_completed",
    "plan_refresh",
    "plan_update",
    "qos_class",
    "read_state",
]
