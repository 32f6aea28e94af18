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


def from_openapi_v3(schema: dict) -> SchemaNode:
    """Convert a CRD's `openAPIV3Schema` into a SchemaNode.

    List and map semantics come from the `x-kubernetes-*` extensions (lists default to atomic, maps to
    granular, as in kube-apiserver). The root `metadata`, and that of embedded resources, is always
    ObjectMeta whatever the CRD declares, because the server treats it as such.
    """
    from .builtin_types import OBJECT_META  # builtin_types imports this module

    node = _convert(schema, OBJECT_META)
    if node is UNKNOWN:
        node = SchemaNode(untyped=True)
    node.fields = {**node.fields, "metadata": OBJECT_META}
    return node


def _convert(schema: object, object_meta: SchemaNode) -> SchemaNode:
    if not isinstance(schema, dict):
        return UNKNOWN
    node = SchemaNode()
    properties = schema.get("properties")
    if isinstance(properties, dict):
        node.fields = {name: _convert(sub, object_meta) for name, sub in properties.items()}
    if schema.get("x-kubernetes-embedded-resource"):
        node.fields = {**node.fields, "metadata": object_meta}
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        node.values = _convert(extra, object_meta)
    elif extra is True:
        node.values = UNKNOWN
    if "items" in schema:
        node.items = _convert(schema["items"], object_meta)
    list_type = schema.get("x-kubernetes-list-type")
    if list_type in ("atomic", "set", "map"):
        node.list_type = list_type
    keys = schema.get("x-kubernetes-list-map-keys")
    if isinstance(keys, list):
        node.list_map_keys = tuple(k for k in keys if isinstance(k, str))
    if schema.get("x-kubernetes-map-type") in ("granular", "atomic"):
        node.map_type = schema["x-kubernetes-map-type"]
    # not allowed in CRDs by upstream validation, but honoured if a schema carries them
    if isinstance(schema.get("x-kubernetes-patch-merge-key"), str):
        node.patch_merge_key = schema["x-kubernetes-patch-merge-key"]
    if isinstance(schema.get("x-kubernetes-patch-strategy"), str):
        node.patch_strategy = schema["x-kubernetes-patch-strategy"]
    structural = "type" in schema or node.fields or node.items is not None or node.values is not None
    if schema.get("x-kubernetes-preserve-unknown-fields") or not structural:
        node.untyped = True
    return node
