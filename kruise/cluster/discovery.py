"""Reading the discovery documents under /api and /apis through the client.

Pure helpers turn the documents into resources; `fetch_index` and `fetch_lists` are the only
parts that talk to the server. The garbage collector and the namespace controller both start
from here.
"""

from __future__ import annotations

from typing import Any

from kruise.client.errors import NotFound
from kruise.client.resources import Resource
from kruise.client.rest import Client

Obj = dict[str, Any]


def _split_gv(group_version: str) -> tuple[str, str]:
    group, _, version = group_version.rpartition("/")
    return group, version


def parse_resource_list(doc: Obj) -> list[tuple[Resource, frozenset[str]]]:
    """Top-level resources of one APIResourceList with their verbs."""
    group, version = _split_gv(str(doc.get("groupVersion") or ""))
    out = []
    for r in doc.get("resources") or []:
        name = r.get("name") or ""
        if not name or "/" in name or not r.get("kind"):
            continue
        res = Resource(group, version, name, r["kind"], bool(r.get("namespaced")))
        out.append((res, frozenset(r.get("verbs") or ())))
    return out


def preferred_versions(core: Obj, groups: Obj) -> dict[str, str]:
    """group -> preferred version ("" is the core group)."""
    out = {"": (core.get("versions") or ["v1"])[0]}
    for g in groups.get("groups") or []:
        preferred = (g.get("preferredVersion") or {}).get("version")
        versions = [v.get("version") for v in g.get("versions") or [] if v.get("version")]
        if g.get("name") and (preferred or versions):
            out[g["name"]] = preferred or versions[0]
    return out


def group_versions(core: Obj, groups: Obj) -> list[str]:
    """Every served group/version, in discovery order."""
    out = [str(v) for v in core.get("versions") or ["v1"]]
    for g in groups.get("groups") or []:
        out += [str(v["groupVersion"]) for v in g.get("versions") or [] if v.get("groupVersion")]
    return out


async def fetch_index(client: Client) -> tuple[Obj, Obj]:
    """The /api and /apis documents: cheap, and enough to notice a new group or version."""
    core = await client.request("GET", "/api")
    groups = await client.request("GET", "/apis")
    return (core if isinstance(core, dict) else {}), (groups if isinstance(groups, dict) else {})


async def fetch_lists(client: Client, core: Obj, groups: Obj) -> dict[str, Obj]:
    """groupVersion -> its APIResourceList, for every group/version the index names."""
    lists: dict[str, Obj] = {}
    for gv in group_versions(core, groups):
        path = f"/api/{gv}" if "/" not in gv else f"/apis/{gv}"
        try:
            doc = await client.request("GET", path)
        except NotFound:  # removed since /apis was read (a CRD deleted): the next pass settles it
            continue
        if isinstance(doc, dict):
            lists[gv] = doc
    return lists
