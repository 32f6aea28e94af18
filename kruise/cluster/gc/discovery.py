"""Which resources the garbage collector watches, from the discovery documents.

`build` is pure: it turns the documents into the set of resources to watch (each group's
preferred version, verbs list+watch+delete, no subresources, events ignored as kube's collector
does) and a map from (apiVersion, kind) of any served version to its resource, which is how an
ownerReference is resolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kruise.client.resources import Resource
from kruise.client.rest import Client

from ..discovery import fetch_index, fetch_lists, group_versions, parse_resource_list, preferred_versions

Obj = dict[str, Any]

IGNORED: frozenset[tuple[str, str]] = frozenset({("", "events"), ("events.k8s.io", "events")})
_NEEDED_VERBS = frozenset({"list", "watch", "delete"})


@dataclass(frozen=True)
class Discovery:
    monitored: frozenset[Resource] = frozenset()
    kinds: Mapping[tuple[str, str], Resource] = field(default_factory=dict)

    def resource_for(self, api_version: str, kind: str) -> Resource | None:
        return self.kinds.get((api_version, kind))


def build(core: Obj, groups: Obj, lists: Mapping[str, Obj]) -> Discovery:
    preferred = preferred_versions(core, groups)
    monitored: set[Resource] = set()
    kinds: dict[tuple[str, str], Resource] = {}
    for gv in group_versions(core, groups):
        doc = lists.get(gv)
        if doc is None:
            continue
        for res, verbs in parse_resource_list(doc):
            kinds.setdefault((res.api_version, res.kind), res)
            if (
                preferred.get(res.group) == res.version
                and verbs >= _NEEDED_VERBS
                and (res.group, res.plural) not in IGNORED
            ):
                monitored.add(res)
    return Discovery(frozenset(monitored), kinds)


async def discover(client: Client, index: tuple[Obj, Obj] | None = None) -> Discovery:
    core, groups = index or await fetch_index(client)
    return build(core, groups, await fetch_lists(client, core, groups))
