"""URL paths of the Kubernetes REST API, parsed into what they address."""

from __future__ import annotations

from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Target:
    group: str
    version: str
    resource: str
    namespace: str | None = None  # None: all namespaces (or a cluster-scoped resource)
    name: str | None = None
    subresource: str | None = None
    watch_path: bool = False  # legacy /watch/ prefix


def parse_resource_path(path: str) -> Target | None:
    """/api/v1/..., /apis/<g>/<v>/... → Target; None when the path is not a resource path."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api":
        if len(parts) < 3:
            return None
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis":
        if len(parts) < 4:
            return None
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    watch = False
    if rest and rest[0] == "watch":
        watch, rest = True, rest[1:]
        if not rest:
            return None
    if (
        rest[0] == "namespaces"
        and len(rest) >= 3
        and not (len(rest) == 3 and rest[2] in _NAMESPACE_SUBRESOURCES)
    ):
        namespace = rest[1]
        rest = rest[2:]
    else:
        namespace = None
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3:
        return None
    return Target(group, version, resource, namespace, name, sub, watch)
