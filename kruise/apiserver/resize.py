"""The pods/resize subresource: in-place changes of containers' cpu and memory (kube 1.33).

A resize request is a whole Pod (PUT) or a patch of one (PATCH, every patch type). As
kube-apiserver's resize strategy does, the stored object is the current Pod with only
`spec.containers[*].resources/resizePolicy` (and those of native sidecars) taken from the request:
every other change the request carries is dropped, not refused. What remains is checked by
ValidatePodResize's rules (QoS class kept, no removed requests/limits, memory limit decreases only
with a RestartContainer policy, only cpu and memory changed). A plain Pod update still refuses any
resource change; the node agent then actuates the new resources.

`Resources` (crud) calls `prepare_resize` and `validate_resize` for writes whose subresource is
RESIZE, so the read-modify-write, admission, conflict and no-op rules are the ordinary ones.
"""

from __future__ import annotations

from typing import Any

from .errors import FieldError
from .validation import pod as pod_validation

Obj = dict[str, Any]

RESIZE = "resize"


def prepare_resize(requested: Obj, current: Obj) -> Obj:
    """The object a resize request stores: `current` with only the resizable fields of `requested`
    (the request's resourceVersion precondition is checked before, by the update itself)."""
    return pod_validation.apply_resize(requested, current)


def validate_resize(new: Obj, old: Obj) -> list[FieldError]:
    """kube 1.33's ValidatePodResize (metadata rules run alongside, as for any update)."""
    return pod_validation.validate_pod_resize(new, old)
