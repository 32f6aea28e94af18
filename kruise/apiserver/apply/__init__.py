"""Server-side apply and managedFields tracking, as pure functions over parsed JSON.

`server_side_apply` answers an apply patch; `track_update` computes managedFields for every
other write. Both take the object's `SchemaNode` for list/map semantics.
"""

from .fieldset import decode_fields_v1, encode_fields_v1, field_set, path_string
from .managed import ApplyConflict, server_side_apply, track_update

__all__ = [
    "ApplyConflict",
    "decode_fields_v1",
    "encode_fields_v1",
    "field_set",
    "path_string",
    "server_side_apply",
    "track_update",
]
