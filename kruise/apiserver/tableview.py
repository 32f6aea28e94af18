"""meta.k8s.io Table and PartialObjectMetadata views, negotiated through the Accept header.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the server's columns;
garbage collectors ask for PartialObjectMetadata. Built-in kinds take their columns from `tables`,
custom resources from their CRD's additionalPrinterColumns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import jsonpath, tables
from .meta import now
from .registry import ResourceInfo

Obj = dict[str, Any]

_AGE_COLUMN = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}


def wanted_view(accept: str | None) -> tuple[str, str] | None:
    """("Table"|"PartialObjectMetadata"|"PartialObjectMetadataList", meta version) if asked for, else None."""
    if not accept:
        return None
    for clause in accept.split(","):
        params = {}
        for piece in clause.split(";")[1:]:
            k, _, v = piece.strip().partition("=")
            params[k] = v
        if params.get("g") == "meta.k8s.io" and params.get("as") in (
            "Table",
            "PartialObjectMetadata",
            "PartialObjectMetadataList",
        ):
            return params["as"], params.get("v", "v1")
        if (
            clause.strip().split(";")[0] in ("application/json", "*/*", "application/*")
            and "as" not in params
        ):
            return None
    return None


def partial_metadata(obj: Obj, version: str = "v1") -> Obj:
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}", "metadata": meta}


def _crd_columns(info: ResourceInfo) -> list[Obj]:
    cols = list(info.crd_version().get("additionalPrinterColumns") or [])
    return cols or [_AGE_COLUMN]


def column_definitions(info: ResourceInfo) -> list[Obj]:
    if not info.is_custom:
        return tables.column_definitions(info.group, info.resource)
    out = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name must be unique within a namespace.",
            "priority": 0,
        }
    ]
    for c in _crd_columns(info):
        out.append(
            {
                "name": c["name"],
                "type": c.get("type", "string"),
                "format": c.get("format", ""),
                "description": c.get("description", ""),
                "priority": int(c.get("priority", 0)),
            }
        )
    return out


def _crd_cells(info: ResourceInfo, obj: Obj, at: datetime) -> list[Any]:
    cells: list[Any] = [obj["metadata"].get("name", "")]
    for c in _crd_columns(info):
        try:
            values = jsonpath.evaluate(c["jsonPath"], obj)
        except jsonpath.JSONPathError:
            values = []
        if c.get("type") == "date":
            cells.append(tables.age(values[0], at) if values and isinstance(values[0], str) else "<unknown>")
        else:
            cells.append(jsonpath.printer_cell(values, c.get("type", "string")))
    return cells


def row(info: ResourceInfo, obj: Obj, include_object: str, version: str, at: datetime) -> Obj:
    cells = (
        _crd_cells(info, obj, at) if info.is_custom else tables.row_cells(info.group, info.resource, obj, at)
    )
    out: Obj = {"cells": cells}
    if include_object == "Object":
        out["object"] = obj
    elif include_object != "None":
        out["object"] = partial_metadata(obj, version)
    return out


def table(
    info: ResourceInfo, objs: list[Obj], list_meta: Obj, include_object: str = "Metadata", version: str = "v1"
) -> Obj:
    at = now()
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": list_meta,
        "columnDefinitions": column_definitions(info),
        "rows": [row(info, o, include_object, version, at) for o in objs],
    }
