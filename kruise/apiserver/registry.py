"""Which resources the server serves: the built-in table plus resources defined by CRDs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceInfo:
    group: str
    version: str
    resource: str  # plural
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    # objects of these types carry metadata.generation, bumped on spec changes
    has_generation: bool = False
    # custom resources: the CRD that defines them (schemas, printer columns, scale paths)
    crd: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_api_version(self) -> str:
        if self.crd is None:
            return self.api_version
        return f"{self.group}/{storage_version(self.crd)}"

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def storage_key(self) -> str:
        """Versions of one group/resource share storage."""
        return f"{self.group}/{self.resource}"

    @property
    def is_custom(self) -> bool:
        return self.crd is not None

    def crd_version(self) -> dict[str, Any]:
        assert self.crd is not None
        for v in self.crd["spec"]["versions"]:
            if v["name"] == self.version:
                return v
        raise KeyError(self.version)

    def openapi_schema(self) -> dict[str, Any] | None:
        if self.crd is None:
            return None
        v = self.crd_version()
        return (v.get("schema") or {}).get("openAPIV3Schema")


def _r(
    group: str,
    version: str,
    resource: str,
    kind: str,
    namespaced: bool = True,
    *,
    short: Iterable[str] = (),
    cats: Iterable[str] = (),
    sub: Iterable[str] = (),
    generation: bool = False,
) -> ResourceInfo:
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=tuple(short),
        categories=tuple(cats),
        subresources=frozenset(sub),
        has_generation=generation,
    )


BUILTIN: tuple[ResourceInfo, ...] = (
    _r("", "v1", "namespaces", "Namespace", False, short=["ns"], sub=["status", "finalize"]),
    _r("", "v1", "nodes", "Node", False, short=["no"], sub=["status"]),
    _r(
        "",
        "v1",
        "pods",
        "Pod",
        short=["po"],
        cats=["all"],
        sub=["status", "binding", "eviction", "log", "resize"],
        generation=True,
    ),
    _r("", "v1", "services", "Service", short=["svc"], cats=["all"], sub=["status"]),
    _r("", "v1", "endpoints", "Endpoints", short=["ep"]),
    _r("", "v1", "configmaps", "ConfigMap", short=["cm"]),
    _r("", "v1", "secrets", "Secret"),
    _r("", "v1", "serviceaccounts", "ServiceAccount", short=["sa"]),
    _r("", "v1", "events", "Event", short=["ev"]),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=["pvc"], sub=["status"]),
    _r("", "v1", "persistentvolumes", "PersistentVolume", False, short=["pv"], sub=["status"]),
    _r("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _r(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short=["deploy"],
        cats=["all"],
        sub=["status", "scale"],
        generation=True,
    ),
    _r(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short=["rs"],
        cats=["all"],
        sub=["status", "scale"],
        generation=True,
    ),
    _r(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        short=["sts"],
        cats=["all"],
        sub=["status", "scale"],
        generation=True,
    ),
    _r("apps", "v1", "daemonsets", "DaemonSet", short=["ds"], cats=["all"], sub=["status"], generation=True),
    _r("batch", "v1", "jobs", "Job", cats=["all"], sub=["status"], generation=True),
    _r("batch", "v1", "cronjobs", "CronJob", short=["cj"], cats=["all"], sub=["status"], generation=True),
    _r("coordination.k8s.io", "v1", "leases", "Lease"),
    _r(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short=["pdb"],
        sub=["status"],
        generation=True,
    ),
    _r(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        short=["crd", "crds"],
        cats=["api-extensions"],
        sub=["status"],
        generation=True,
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
        cats=["api-extensions"],
        generation=True,
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
        cats=["api-extensions"],
        generation=True,
    ),
)

# Groups whose preferred version is served even when a CRD adds more; order as kube-apiserver lists them.
BUILTIN_GROUP_ORDER = (
    "",
    "apps",
    "batch",
    "coordination.k8s.io",
    "policy",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
)


def resources_from_crd(crd: dict[str, Any]) -> list[ResourceInfo]:
    """ResourceInfos for every served version of an established CRD."""
    spec = crd["spec"]
    names = spec["names"]
    out = []
    for v in spec["versions"]:
        if not v.get("served", True):
            continue
        subs = set()
        declared = v.get("subresources") or {}
        if "status" in declared:
            subs.add("status")
        if "scale" in declared:
            subs.add("scale")
        out.append(
            ResourceInfo(
                group=spec["group"],
                version=v["name"],
                resource=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or names["kind"].lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=frozenset(subs),
                has_generation=True,
                crd=crd,
            )
        )
    return out


def storage_version(crd: dict[str, Any]) -> str:
    for v in crd["spec"]["versions"]:
        if v.get("storage"):
            return v["name"]
    return crd["spec"]["versions"][0]["name"]


class Registry:
    """Lookup of served resources by (group, version, resource-or-alias)."""

    def __init__(self) -> None:
        self._by_gvr: dict[tuple[str, str, str], ResourceInfo] = {}
        self._crd_resources: dict[str, list[ResourceInfo]] = {}
        for info in BUILTIN:
            self._by_gvr[(info.group, info.version, info.resource)] = info
        # derived views, rebuilt only when a CRD changes what is served (admission asks per request)
        self._groups: dict[str, list[str]] | None = None
        self._versions: dict[tuple[str, str], list[ResourceInfo]] = {}

    def get(self, group: str, version: str, resource: str) -> ResourceInfo | None:
        return self._by_gvr.get((group, version, resource))

    def set_crd(self, crd: dict[str, Any]) -> None:
        self.remove_crd(crd["metadata"]["name"])
        infos = resources_from_crd(crd)
        self._crd_resources[crd["metadata"]["name"]] = infos
        for info in infos:
            self._by_gvr[(info.group, info.version, info.resource)] = info
        self._changed()

    def remove_crd(self, crd_name: str) -> None:
        for info in self._crd_resources.pop(crd_name, []):
            self._by_gvr.pop((info.group, info.version, info.resource), None)
        self._changed()

    def _changed(self) -> None:
        self._groups = None
        self._versions = {}

    def versions_of(self, group: str, resource: str) -> list[ResourceInfo]:
        """Every served version of one resource, preferred first."""
        key = (group, resource)
        found = self._versions.get(key)
        if found is None:
            order = self.groups().get(group, [])
            found = [i for i in self._by_gvr.values() if i.group == group and i.resource == resource]
            found.sort(key=lambda i: order.index(i.version) if i.version in order else len(order))
            self._versions[key] = found
        return found

    def all(self) -> list[ResourceInfo]:
        return list(self._by_gvr.values())

    def storage_keys(self, namespaced: bool | None = None) -> set[str]:
        return {
            i.storage_key for i in self._by_gvr.values() if namespaced is None or i.namespaced == namespaced
        }

    def groups(self) -> dict[str, list[str]]:
        """group -> served versions, preferred first."""
        if self._groups is not None:
            return self._groups
        out: dict[str, list[str]] = {}
        for info in self._by_gvr.values():
            versions = out.setdefault(info.group, [])
            if info.version not in versions:
                versions.append(info.version)
        for versions in out.values():
            versions.sort(key=_version_priority)
        self._groups = out
        return out

    def for_kind(self, api_version: str, kind: str) -> ResourceInfo | None:
        group, _, version = api_version.rpartition("/")
        for info in self._by_gvr.values():
            if info.group == group and info.version == version and info.kind == kind:
                return info
        return None

    def crd_for_storage_key(self, storage_key: str) -> dict[str, Any] | None:
        for infos in self._crd_resources.values():
            if infos and infos[0].storage_key == storage_key:
                return infos[0].crd
        return None


def _version_priority(v: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, higher numbers first."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, 0, 0)
    major = int(m.group(1))
    stage = {"": 0, "beta": 1, "alpha": 2}[m.group(2) or ""]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)
