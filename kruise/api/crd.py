"""CustomResourceDefinitions (apiextensions.k8s.io/v1) generated from pydantic models.

The pydantic JSON schema is turned into a *structural* OpenAPI v3 schema: `$ref`s inlined,
`X | None` collapsed to `X`, no `default`/`title` (defaulting is the mutating webhook's job, so
stored objects stay defaults-free), int-or-string and schemaless fields marked the Kubernetes way.
Field types opt into those markings with the `Annotated` aliases below.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, WithJsonSchema

# A field listed in its object's `required` although the Python model gives it a default (Go status
# counters without omitempty: always written, so the schema requires them).
SCHEMA_REQUIRED: dict[str, Any] = {"x-kruise-schema-required": True}

Int32 = Annotated[int, WithJsonSchema({"type": "integer", "format": "int32"})]
Int64 = Annotated[int, WithJsonSchema({"type": "integer", "format": "int64"})]
IntOrString = Annotated[
    int | str,
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}),
]
# An embedded object the schema does not describe (pod templates): kept whole, never pruned.
Schemaless = Annotated[
    dict[str, Any], WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
]
SchemalessList = Annotated[
    list[dict[str, Any]],
    WithJsonSchema(
        {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    ),
]
# ObjectMeta is validated by the API server itself; the CRD only says it is an object.
ObjectMetaDict = Annotated[dict[str, Any], WithJsonSchema({"type": "object"})]
# metav1.LabelSelector, as controller-gen renders it.
LABEL_SELECTOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "matchExpressions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "operator": {"type": "string"},
                    "values": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["key", "operator"],
            },
        },
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "x-kubernetes-map-type": "atomic",
}
LabelSelectorDict = Annotated[dict[str, Any], WithJsonSchema(LABEL_SELECTOR_SCHEMA)]

_DROP = ("title", "default", "examples")


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_resolve(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        return _resolve({**copy.deepcopy(target), **extra}, defs)
    any_of = node.get("anyOf")
    if isinstance(any_of, list) and not node.get("x-kubernetes-int-or-string"):
        options = [o for o in any_of if o != {"type": "null"}]
        if len(options) == 1 and len(options) < len(any_of):  # Optional[X] is X (absent, not null)
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _resolve({**options[0], **rest}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "$defs":
            continue
        if key == "properties":
            props = {name: _resolve(sub, defs) for name, sub in value.items()}
            required = [n for n in node.get("required", []) if n in props]
            for name, sub in props.items():
                if sub.pop("x-kruise-schema-required", False) and name not in required:
                    required.append(name)
            out["properties"] = dict(sorted(props.items()))
            if required:
                out["required"] = sorted(required)
            continue
        if key == "required":
            continue  # rebuilt with the properties
        out[key] = _resolve(value, defs)
    if out.get("type") == "object" and out.get("additionalProperties") is True:
        del out["additionalProperties"]  # dict[str, Any]: an open object is preserve-unknown
        out["x-kubernetes-preserve-unknown-fields"] = True
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    return dict(sorted(out.items()))  # controller-gen's order: stable, diff-friendly


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The structural openAPIV3Schema of a model (camelCase property names)."""
    raw = model.model_json_schema(by_alias=True, mode="serialization")
    return _resolve(raw, raw.get("$defs", {}))


@dataclass
class PrinterColumn:
    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.description:
            out["description"] = self.description
        if self.format:
            out["format"] = self.format
        out["jsonPath"] = self.json_path
        out["name"] = self.name
        if self.priority:
            out["priority"] = self.priority
        out["type"] = self.type
        return out


@dataclass
class ScaleSubresource:
    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str | None = ".status.labelSelector"

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.label_selector_path:
            out["labelSelectorPath"] = self.label_selector_path
        out["specReplicasPath"] = self.spec_replicas_path
        out["statusReplicasPath"] = self.status_replicas_path
        return out


@dataclass
class CRDVersion:
    """One entry of `spec.versions`; `model` is the root type (apiVersion, kind, metadata, spec...)."""

    name: str
    model: type[BaseModel]
    served: bool = True
    storage: bool = False
    status_subresource: bool = True
    scale: ScaleSubresource | None = None
    printer_columns: list[PrinterColumn] = field(default_factory=list)
    description: str = ""

    def wire(self) -> dict[str, Any]:
        schema = schema_for(self.model)
        if self.description:
            schema = {"description": self.description, **schema}
        out: dict[str, Any] = {}
        if self.printer_columns:
            out["additionalPrinterColumns"] = [c.wire() for c in self.printer_columns]
        out["name"] = self.name
        out["schema"] = {"openAPIV3Schema": schema}
        out["served"] = self.served
        out["storage"] = self.storage
        sub: dict[str, Any] = {}
        if self.scale is not None:
            sub["scale"] = self.scale.wire()
        if self.status_subresource:
            sub["status"] = {}
        if sub:
            out["subresources"] = sub
        return out


def crd_for(
    *,
    group: str,
    kind: str,
    plural: str,
    versions: list[CRDVersion],
    singular: str | None = None,
    list_kind: str | None = None,
    short_names: list[str] | None = None,
    categories: list[str] | None = None,
    scope: str = "Namespaced",
) -> dict[str, Any]:
    """A CustomResourceDefinition dict, keys ordered like controller-gen's output."""
    names: dict[str, Any] = {}
    if categories:
        names["categories"] = list(categories)
    names["kind"] = kind
    names["listKind"] = list_kind or f"{kind}List"
    names["plural"] = plural
    if short_names:
        names["shortNames"] = list(short_names)
    names["singular"] = singular or kind.lower()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": names,
            "scope": scope,
            "versions": [v.wire() for v in versions],
        },
    }
