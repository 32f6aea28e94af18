"""Structural type information the patch and apply engines need: list/map semantics per field path.

A `SchemaNode` describes one value. Strategic merge patch reads `patch_merge_key`/`patch_strategy`;
server-side apply reads `list_type`/`list_map_keys`/`map_type`. Unknown paths fall back to
`UNKNOWN` (granular maps, atomic lists), which is how Kubernetes treats untyped data.
Built-in kinds are described by tables in `builtin_types`; CRDs by their OpenAPI v3 schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ListType = Literal["atomic", "set", "map"]
MapType = Literal["granular", "atomic"]


@dataclass
class SchemaNode:
    # object fields (for structs)
    fields: dict[str, SchemaNode] = field(default_factory=dict)
    # schema of list items
    items: SchemaNode | None = None
    # schema of map values (additionalProperties) for string-keyed maps such as labels
    values: SchemaNode | None = None
    # server-side apply semantics
    list_type: ListType = "atomic"
    list_map_keys: tuple[str, ...] = ()
    map_type: MapType = "granular"
    # strategic merge patch semantics (as in the Go struct tags)
    patch_merge_key: str | None = None
    patch_strategy: str = ""  # "", "merge", "replace", "retainKeys", "merge,retainKeys"
    # preserve-unknown-fields / untyped (any JSON)
    untyped: bool = False

    def child(self, name: str) -> SchemaNode:
        if name in self.fields:
            return self.fields[name]
        if self.values is not None:
            return self.values
        return UNKNOWN

    def item(self) -> SchemaNode:
        return self.items if self.items is not None else UNKNOWN


UNKNOWN = SchemaNode(untyped=True)
