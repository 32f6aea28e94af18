"""Patch and apply metadata of the built-in kinds, transcribed from the k8s.io/api Go types.

Only fields with non-default semantics are listed (plus the structs leading to them): anything not
named here is a granular map/struct or an atomic list, which is what `SchemaNode.child` falls back to.
Per field: the strategic-merge-patch tags (`patchStrategy`, `patchMergeKey`) and the server-side
apply markers (`+listType`, `+listMapKey`, `+mapType`/`+structType`) of the Kubernetes API types.
"""

from __future__ import annotations

from .typemeta import UNKNOWN, ListType, SchemaNode

SCALAR = SchemaNode()


# ---------------------------------------------------------------------------- builders


def struct(**fields: SchemaNode) -> SchemaNode:
    return SchemaNode(fields=fields)


def atomic_struct(**fields: SchemaNode) -> SchemaNode:
    """A struct marked `+structType=atomic` (replaced as a whole by server-side apply)."""
    return SchemaNode(fields=fields, map_type="atomic")


def string_map(*, atomic: bool = False) -> SchemaNode:
    return SchemaNode(values=SCALAR, map_type="atomic" if atomic else "granular")


def atomic_list(item: SchemaNode | None = None) -> SchemaNode:
    """`+listType=atomic`, no patch strategy: replaced by both patch flavours."""
    return SchemaNode(items=item, list_type="atomic")


def set_list() -> SchemaNode:
    """A primitive list with `patchStrategy:"merge"` and `+listType=set` (e.g. finalizers)."""
    return SchemaNode(items=SCALAR, list_type="set", patch_strategy="merge")


def keyed_list(merge_key: str, item: SchemaNode | None = None, *, map_keys: tuple[str, ...] = (),
               retain_keys: bool = False, list_type: ListType = "map") -> SchemaNode:
    """A list merged by `merge_key` (`patchStrategy:"merge"`); for apply a `+listType=map` keyed by
    `map_keys` (default: the merge key) unless `list_type` says otherwise."""
    return SchemaNode(
        items=item if item is not None else SchemaNode(),
        list_type=list_type,
        list_map_keys=(map_keys or (merge_key,)) if list_type == "map" else (),
        patch_merge_key=merge_key,
        patch_strategy="merge,retainKeys" if retain_keys else "merge",
    )


def map_list(*keys: str, item: SchemaNode | None = None) -> SchemaNode:
    """`+listType=map` for apply only; no patch strategy, so strategic merge patch replaces it."""
    return SchemaNode(items=item if item is not None else SchemaNode(), list_type="map", list_map_keys=keys)


def conditions() -> SchemaNode:
    return keyed_list("type")


def resource(spec: SchemaNode | None = None, status: SchemaNode | None = None,
             **top: SchemaNode) -> SchemaNode:
    """A top-level kind: ObjectMeta plus the given spec, status and other top-level fields."""
    fields = {"metadata": OBJECT_META, **top}
    if spec is not None:
        fields["spec"] = spec
    if status is not None:
        fields["status"] = status
    return SchemaNode(fields=fields)


# ---------------------------------------------------------------------------- meta/v1

OWNER_REFERENCE = atomic_struct()
OBJECT_META = struct(
    labels=string_map(),
    annotations=string_map(),
    finalizers=set_list(),
    ownerReferences=keyed_list("uid", OWNER_REFERENCE),
    managedFields=atomic_list(),
)
LABEL_SELECTOR = atomic_struct(
    matchLabels=string_map(),
    matchExpressions=atomic_list(struct(values=atomic_list())),
)

# ---------------------------------------------------------------------------- core/v1 building blocks

OBJECT_REFERENCE = atomic_struct()
LOCAL_OBJECT_REFERENCE = atomic_struct()
RESOURCE_LIST = string_map()
NODE_SELECTOR = atomic_struct(nodeSelectorTerms=atomic_list())

_KEY_SELECTOR = atomic_struct()
ENV_VAR = struct(
    valueFrom=struct(
        fieldRef=_KEY_SELECTOR,
        resourceFieldRef=_KEY_SELECTOR,
        configMapKeyRef=_KEY_SELECTOR,
        secretKeyRef=_KEY_SELECTOR,
    ),
)
_HANDLER = struct(
    exec=struct(command=atomic_list()),
    httpGet=struct(httpHeaders=atomic_list()),
)
PROBE = struct(
    exec=struct(command=atomic_list()),
    httpGet=struct(httpHeaders=atomic_list()),
)
RESOURCE_REQUIREMENTS = struct(
    limits=RESOURCE_LIST,
    requests=RESOURCE_LIST,
    claims=map_list("name"),
)
CONTAINER = struct(
    command=atomic_list(),
    args=atomic_list(),
    # SMP merges ports by containerPort alone; apply keys them by containerPort+protocol
    ports=keyed_list("containerPort", map_keys=("containerPort", "protocol")),
    envFrom=atomic_list(),
    env=keyed_list("name", ENV_VAR),
    resources=RESOURCE_REQUIREMENTS,
    resizePolicy=atomic_list(),
    volumeMounts=keyed_list("mountPath"),
    volumeDevices=keyed_list("devicePath"),
    livenessProbe=PROBE,
    readinessProbe=PROBE,
    startupProbe=PROBE,
    lifecycle=struct(postStart=_HANDLER, preStop=_HANDLER),
    securityContext=struct(capabilities=struct(add=atomic_list(), drop=atomic_list())),
)
_AFFINITY_TERMS = struct(
    requiredDuringSchedulingIgnoredDuringExecution=atomic_list(),
    preferredDuringSchedulingIgnoredDuringExecution=atomic_list(),
)
AFFINITY = struct(
    nodeAffinity=struct(
        requiredDuringSchedulingIgnoredDuringExecution=NODE_SELECTOR,
        preferredDuringSchedulingIgnoredDuringExecution=atomic_list(),
    ),
    podAffinity=_AFFINITY_TERMS,
    podAntiAffinity=_AFFINITY_TERMS,
)
VOLUME = struct()
POD_SPEC = struct(
    volumes=keyed_list("name", VOLUME, retain_keys=True),
    initContainers=keyed_list("name", CONTAINER),
    containers=keyed_list("name", CONTAINER),
    ephemeralContainers=keyed_list("name", CONTAINER),
    imagePullSecrets=keyed_list("name", LOCAL_OBJECT_REFERENCE),
    hostAliases=keyed_list("ip", struct(hostnames=atomic_list())),
    tolerations=atomic_list(),
    readinessGates=atomic_list(),
    topologySpreadConstraints=keyed_list(
        "topologyKey",
        struct(labelSelector=LABEL_SELECTOR, matchLabelKeys=atomic_list()),
        map_keys=("topologyKey", "whenUnsatisfiable"),
    ),
    schedulingGates=keyed_list("name"),
    resourceClaims=keyed_list("name", retain_keys=True),
    nodeSelector=string_map(atomic=True),
    overhead=RESOURCE_LIST,
    affinity=AFFINITY,
    securityContext=struct(supplementalGroups=atomic_list(), sysctls=atomic_list()),
    dnsConfig=struct(nameservers=atomic_list(), searches=atomic_list(), options=atomic_list()),
)
POD_TEMPLATE_SPEC = struct(metadata=OBJECT_META, spec=POD_SPEC)
POD_STATUS = struct(
    conditions=conditions(),
    podIPs=keyed_list("ip"),
    hostIPs=keyed_list("ip", list_type="atomic"),
    initContainerStatuses=atomic_list(),
    containerStatuses=atomic_list(),
    ephemeralContainerStatuses=atomic_list(),
    resourceClaimStatuses=keyed_list("name", retain_keys=True),
)

# ---------------------------------------------------------------------------- workload building blocks


def _workload_spec(**extra: SchemaNode) -> SchemaNode:
    return struct(selector=LABEL_SELECTOR, template=POD_TEMPLATE_SPEC, **extra)


_WORKLOAD_STATUS = struct(conditions=conditions())
PVC_SPEC = struct(
    accessModes=atomic_list(),
    selector=LABEL_SELECTOR,
    resources=struct(limits=RESOURCE_LIST, requests=RESOURCE_LIST),
    dataSource=atomic_struct(),
)
PVC_STATUS = struct(
    accessModes=atomic_list(),
    capacity=RESOURCE_LIST,
    conditions=conditions(),
    allocatedResources=RESOURCE_LIST,
    allocatedResourceStatuses=string_map(),
)
PERSISTENT_VOLUME_CLAIM = resource(PVC_SPEC, PVC_STATUS)
_WEBHOOK = struct(
    rules=atomic_list(),
    admissionReviewVersions=atomic_list(),
    namespaceSelector=LABEL_SELECTOR,
    objectSelector=LABEL_SELECTOR,
    matchConditions=keyed_list("name"),
)
_WEBHOOK_CONFIGURATION = resource(webhooks=keyed_list("name", _WEBHOOK))

# ---------------------------------------------------------------------------- the table

_BUILTIN: dict[tuple[str, str], SchemaNode] = {
    # core/v1
    ("", "Pod"): resource(POD_SPEC, POD_STATUS),
    ("", "PodTemplate"): resource(template=POD_TEMPLATE_SPEC),
    ("", "ReplicationController"): resource(
        struct(selector=string_map(atomic=True), template=POD_TEMPLATE_SPEC), _WORKLOAD_STATUS
    ),
    ("", "Node"): resource(
        struct(podCIDRs=set_list(), taints=atomic_list()),
        struct(
            capacity=RESOURCE_LIST,
            allocatable=RESOURCE_LIST,
            conditions=conditions(),
            addresses=keyed_list("type"),
            images=atomic_list(),
            volumesInUse=atomic_list(),
            volumesAttached=atomic_list(),
        ),
    ),
    ("", "Namespace"): resource(struct(finalizers=atomic_list()), struct(conditions=conditions())),
    ("", "Service"): resource(
        struct(
            ports=keyed_list("port", map_keys=("port", "protocol")),
            selector=string_map(atomic=True),
            clusterIPs=atomic_list(),
            externalIPs=atomic_list(),
            loadBalancerSourceRanges=atomic_list(),
            ipFamilies=atomic_list(),
        ),
        struct(loadBalancer=struct(ingress=atomic_list()), conditions=conditions()),
    ),
    ("", "Endpoints"): resource(subsets=atomic_list()),
    ("", "ConfigMap"): resource(data=string_map(), binaryData=string_map()),
    ("", "Secret"): resource(data=string_map(), stringData=string_map()),
    ("", "ServiceAccount"): resource(
        secrets=keyed_list("name", OBJECT_REFERENCE), imagePullSecrets=atomic_list()
    ),
    ("", "Event"): resource(involvedObject=OBJECT_REFERENCE, related=OBJECT_REFERENCE),
    ("", "PersistentVolumeClaim"): PERSISTENT_VOLUME_CLAIM,
    ("", "PersistentVolume"): resource(
        struct(
            accessModes=atomic_list(),
            capacity=RESOURCE_LIST,
            claimRef=struct(),  # ObjectReference, but `+structType=granular` here
            mountOptions=atomic_list(),
            nodeAffinity=struct(required=NODE_SELECTOR),
        ),
    ),
    # apps/v1
    ("apps", "Deployment"): resource(
        _workload_spec(strategy=SchemaNode(patch_strategy="retainKeys")), _WORKLOAD_STATUS
    ),
    ("apps", "ReplicaSet"): resource(_workload_spec(), _WORKLOAD_STATUS),
    ("apps", "StatefulSet"): resource(
        _workload_spec(volumeClaimTemplates=atomic_list(PERSISTENT_VOLUME_CLAIM)), _WORKLOAD_STATUS
    ),
    ("apps", "DaemonSet"): resource(_workload_spec(), _WORKLOAD_STATUS),
    ("apps", "ControllerRevision"): resource(data=UNKNOWN),
    # batch/v1
    ("batch", "Job"): resource(
        _workload_spec(
            podFailurePolicy=struct(rules=atomic_list()),
            successPolicy=struct(rules=atomic_list()),
        ),
        struct(
            conditions=keyed_list("type", list_type="atomic"),
            uncountedTerminatedPods=struct(
                succeeded=SchemaNode(items=SCALAR, list_type="set"),
                failed=SchemaNode(items=SCALAR, list_type="set"),
            ),
        ),
    ),
    # coordination.k8s.io/v1
    ("coordination.k8s.io", "Lease"): resource(struct()),
    # policy/v1
    ("policy", "PodDisruptionBudget"): resource(
        struct(selector=SchemaNode(
            fields=LABEL_SELECTOR.fields, map_type="atomic", patch_strategy="replace"
        )),
        struct(conditions=conditions(), disruptedPods=string_map()),
    ),
    # apiextensions.k8s.io/v1: no patch tags upstream; versions is a plain (atomic) list
    ("apiextensions.k8s.io", "CustomResourceDefinition"): resource(
        struct(
            names=struct(shortNames=atomic_list(), categories=atomic_list()),
            versions=atomic_list(),
            conversion=struct(webhook=struct(conversionReviewVersions=atomic_list())),
        ),
        struct(
            conditions=map_list("type"),
            acceptedNames=struct(shortNames=atomic_list(), categories=atomic_list()),
            storedVersions=atomic_list(),
        ),
    ),
    # admissionregistration.k8s.io/v1
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): _WEBHOOK_CONFIGURATION,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): _WEBHOOK_CONFIGURATION,
}


def schema_for_builtin(group: str, kind: str) -> SchemaNode | None:
    """The schema of a built-in kind (group "" for core), or None when the kind is not built in."""
    return _BUILTIN.get((group, kind))
