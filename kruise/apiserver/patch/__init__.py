"""The three Kubernetes patch formats as pure functions over parsed JSON.

Each returns a new document and never mutates its inputs; failures raise `PatchError` whose `code`
is 400 (malformed patch) or 422 (well-formed patch that does not apply).
"""

from .jsonpatch import apply_json_patch
from .mergepatch import PatchError, apply_merge_patch
from .strategic import apply_strategic_merge_patch

__all__ = ["PatchError", "apply_json_patch", "apply_merge_patch", "apply_strategic_merge_patch"]
