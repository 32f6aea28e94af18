"""Decoding of Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

kubectl's typed commands (``create namespace``, ``create deployment``, ``create token`` ...) send
their objects as protobuf and client-go does not retry with JSON, so the server has to read them.
This module is pure: a generic protobuf wire-format reader driven by a declarative table that maps
each Kubernetes message to its fields, producing the same JSON-shaped dict the JSON API carries.
``encode_object`` is the inverse, used by tests and by anyone who needs a protobuf body.

Wire facts (envelope): 4-byte magic ``k8s\\0`` followed by a ``runtime.Unknown`` message
{1: typeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}; ``raw`` is the
object's own message.

JSON shaping follows the Go types: a message field present on the wire is emitted (Go always writes
non-pointer structs, and JSON always shows them), scalar fields are dropped when they hold the zero
value unless the Go field is a pointer (or a non-omitempty field whose zero matters), ``Time`` becomes
RFC 3339 in UTC (``MicroTime`` with microseconds; the zero time is omitted), ``IntOrString`` an int or
a str, ``Quantity`` its string, bytes base64, ``FieldsV1`` the embedded JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["MAGIC", "SUPPORTED_KINDS", "ProtobufError", "decode_object", "encode_object"]

MAGIC = b"k8s\x00"


class ProtobufError(Exception):
    """A protobuf body that cannot be decoded (the message suits a 400 BadRequest)."""


# --------------------------------------------------------------------------------------------------
# Schema. It mirrors the wire numbers of k8s.io/api and k8s.io/apimachinery v1.33 (plus the few
# fields later releases added to the same messages). A field is (jsonName, type) or
# (jsonName, type, flags). type: a scalar ("string", "int32", "int64", "bool", "bytes", "double"),
# a special message ("Time", "MicroTime", "Duration", "Quantity", "IntOrString", "FieldsV1"),
# another message name, or a map ("map", keyType, valueType). flags: "r" repeated, "z" keep the zero
# value (Go pointer field, or a field whose zero is meaningful), "i" inline (the sub-message's fields
# are merged into this object, like Go's `json:",inline"`).
# --------------------------------------------------------------------------------------------------

_S, _I32, _I64, _B = "string", "int32", "int64", "bool"
_MSS = ("map", "string", "string")
_MSB = ("map", "string", "bytes")
_MSQ = ("map", "string", "Quantity")
_MST = ("map", "string", "Time")

FieldSpec = tuple[Any, ...]

_CONTAINER: dict[int, FieldSpec] = {
    1: ("name", _S, "z"),
    2: ("image", _S),
    3: ("command", _S, "r"),
    4: ("args", _S, "r"),
    5: ("workingDir", _S),
    6: ("ports", "ContainerPort", "r"),
    7: ("env", "EnvVar", "r"),
    8: ("resources", "ResourceRequirements"),
    9: ("volumeMounts", "VolumeMount", "r"),
    10: ("livenessProbe", "Probe"),
    11: ("readinessProbe", "Probe"),
    12: ("lifecycle", "Lifecycle"),
    13: ("terminationMessagePath", _S),
    14: ("imagePullPolicy", _S),
    15: ("securityContext", "SecurityContext"),
    16: ("stdin", _B),
    17: ("stdinOnce", _B),
    18: ("tty", _B),
    19: ("envFrom", "EnvFromSource", "r"),
    20: ("terminationMessagePolicy", _S),
    21: ("volumeDevices", "VolumeDevice", "r"),
    22: ("startupProbe", "Probe"),
    23: ("resizePolicy", "ContainerResizePolicy", "r"),
    24: ("restartPolicy", _S, "z"),
    25: ("restartPolicyRules", "ContainerRestartRule", "r"),
}

_LOR_INLINE: FieldSpec = ("", "LocalObjectReference", "i")

SCHEMA: dict[str, dict[int, FieldSpec]] = {
    # ---- runtime / meta.k8s.io/v1 ----
    "TypeMeta": {1: ("apiVersion", _S), 2: ("kind", _S)},
    "ObjectMeta": {
        1: ("name", _S),
        2: ("generateName", _S),
        3: ("namespace", _S),
        4: ("selfLink", _S),
        5: ("uid", _S),
        6: ("resourceVersion", _S),
        7: ("generation", _I64),
        8: ("creationTimestamp", "Time"),
        9: ("deletionTimestamp", "Time"),
        10: ("deletionGracePeriodSeconds", _I64, "z"),
        11: ("labels", _MSS),
        12: ("annotations", _MSS),
        13: ("ownerReferences", "OwnerReference", "r"),
        14: ("finalizers", _S, "r"),
        17: ("managedFields", "ManagedFieldsEntry", "r"),
    },
    "OwnerReference": {
        1: ("kind", _S, "z"),
        3: ("name", _S, "z"),
        4: ("uid", _S, "z"),
        5: ("apiVersion", _S, "z"),
        6: ("controller", _B, "z"),
        7: ("blockOwnerDeletion", _B, "z"),
    },
    "ManagedFieldsEntry": {
        1: ("manager", _S),
        2: ("operation", _S),
        3: ("apiVersion", _S),
        4: ("time", "Time"),
        6: ("fieldsType", _S),
        7: ("fieldsV1", "FieldsV1"),
        8: ("subresource", _S),
    },
    "LabelSelector": {1: ("matchLabels", _MSS), 2: ("matchExpressions", "LabelSelectorRequirement", "r")},
    "LabelSelectorRequirement": {1: ("key", _S, "z"), 2: ("operator", _S, "z"), 3: ("values", _S, "r")},
    "Condition": {
        1: ("type", _S, "z"),
        2: ("status", _S, "z"),
        3: ("observedGeneration", _I64),
        4: ("lastTransitionTime", "Time"),
        5: ("reason", _S, "z"),
        6: ("message", _S, "z"),
    },
    "DeleteOptions": {
        1: ("gracePeriodSeconds", _I64, "z"),
        2: ("preconditions", "Preconditions"),
        3: ("orphanDependents", _B, "z"),
        4: ("propagationPolicy", _S, "z"),
        5: ("dryRun", _S, "r"),
        6: ("ignoreStoreReadErrorWithClusterBreakingPotential", _B, "z"),
    },
    "Preconditions": {1: ("uid", _S, "z"), 2: ("resourceVersion", _S, "z")},
    # ---- core/v1: small shared types ----
    "LocalObjectReference": {1: ("name", _S)},
    "ObjectReference": {
        1: ("kind", _S),
        2: ("namespace", _S),
        3: ("name", _S),
        4: ("uid", _S),
        5: ("apiVersion", _S),
        6: ("resourceVersion", _S),
        7: ("fieldPath", _S),
    },
    "TypedLocalObjectReference": {1: ("apiGroup", _S, "z"), 2: ("kind", _S), 3: ("name", _S)},
    "TypedObjectReference": {
        1: ("apiGroup", _S, "z"),
        2: ("kind", _S),
        3: ("name", _S),
        4: ("namespace", _S, "z"),
    },
    # ---- core/v1 objects ----
    "Namespace": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "NamespaceSpec"),
        3: ("status", "NamespaceStatus"),
    },
    "NamespaceSpec": {1: ("finalizers", _S, "r")},
    "NamespaceStatus": {1: ("phase", _S), 2: ("conditions", "NamespaceCondition", "r")},
    "NamespaceCondition": {
        1: ("type", _S),
        2: ("status", _S),
        4: ("lastTransitionTime", "Time"),
        5: ("reason", _S),
        6: ("message", _S),
    },
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", _MSS),
        3: ("binaryData", _MSB),
        4: ("immutable", _B, "z"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", _MSB),
        3: ("type", _S),
        4: ("stringData", _MSS),
        5: ("immutable", _B, "z"),
    },
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "ObjectReference", "r"),
        3: ("imagePullSecrets", "LocalObjectReference", "r"),
        4: ("automountServiceAccountToken", _B, "z"),
    },
    "ResourceQuota": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "ResourceQuotaSpec"),
        3: ("status", "ResourceQuotaStatus"),
    },
    "ResourceQuotaSpec": {1: ("hard", _MSQ), 2: ("scopes", _S, "r"), 3: ("scopeSelector", "ScopeSelector")},
    "ScopeSelector": {1: ("matchExpressions", "ScopedResourceSelectorRequirement", "r")},
    "ScopedResourceSelectorRequirement": {1: ("scopeName", _S), 2: ("operator", _S), 3: ("values", _S, "r")},
    "ResourceQuotaStatus": {1: ("hard", _MSQ), 2: ("used", _MSQ)},
    "Binding": {1: ("metadata", "ObjectMeta"), 2: ("target", "ObjectReference")},
    # ---- core/v1 Service ----
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", "ServiceStatus")},
    "ServiceSpec": {
        1: ("ports", "ServicePort", "r"),
        2: ("selector", _MSS),
        3: ("clusterIP", _S),
        4: ("type", _S),
        5: ("externalIPs", _S, "r"),
        7: ("sessionAffinity", _S),
        8: ("loadBalancerIP", _S),
        9: ("loadBalancerSourceRanges", _S, "r"),
        10: ("externalName", _S),
        11: ("externalTrafficPolicy", _S),
        12: ("healthCheckNodePort", _I32),
        13: ("publishNotReadyAddresses", _B),
        14: ("sessionAffinityConfig", "SessionAffinityConfig"),
        17: ("ipFamilyPolicy", _S, "z"),
        18: ("clusterIPs", _S, "r"),
        19: ("ipFamilies", _S, "r"),
        20: ("allocateLoadBalancerNodePorts", _B, "z"),
        21: ("loadBalancerClass", _S, "z"),
        22: ("internalTrafficPolicy", _S, "z"),
        23: ("trafficDistribution", _S, "z"),
    },
    "ServicePort": {
        1: ("name", _S),
        2: ("protocol", _S),
        3: ("port", _I32),
        4: ("targetPort", "IntOrString"),
        5: ("nodePort", _I32),
        6: ("appProtocol", _S, "z"),
    },
    "SessionAffinityConfig": {1: ("clientIP", "ClientIPConfig")},
    "ClientIPConfig": {1: ("timeoutSeconds", _I32, "z")},
    "ServiceStatus": {1: ("loadBalancer", "LoadBalancerStatus"), 2: ("conditions", "Condition", "r")},
    "LoadBalancerStatus": {1: ("ingress", "LoadBalancerIngress", "r")},
    "LoadBalancerIngress": {
        1: ("ip", _S),
        2: ("hostname", _S),
        3: ("ipMode", _S, "z"),
        4: ("ports", "PortStatus", "r"),
    },
    "PortStatus": {1: ("port", _I32), 2: ("protocol", _S), 3: ("error", _S, "z")},
    # ---- core/v1 Pod ----
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec"), 3: ("status", "PodStatus")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {
        1: ("volumes", "Volume", "r"),
        2: ("containers", "Container", "r"),
        3: ("restartPolicy", _S),
        4: ("terminationGracePeriodSeconds", _I64, "z"),
        5: ("activeDeadlineSeconds", _I64, "z"),
        6: ("dnsPolicy", _S),
        7: ("nodeSelector", _MSS),
        8: ("serviceAccountName", _S),
        9: ("serviceAccount", _S),
        10: ("nodeName", _S),
        11: ("hostNetwork", _B),
        12: ("hostPID", _B),
        13: ("hostIPC", _B),
        14: ("securityContext", "PodSecurityContext"),
        15: ("imagePullSecrets", "LocalObjectReference", "r"),
        16: ("hostname", _S),
        17: ("subdomain", _S),
        18: ("affinity", "Affinity"),
        19: ("schedulerName", _S),
        20: ("initContainers", "Container", "r"),
        21: ("automountServiceAccountToken", _B, "z"),
        22: ("tolerations", "Toleration", "r"),
        23: ("hostAliases", "HostAlias", "r"),
        24: ("priorityClassName", _S),
        25: ("priority", _I32, "z"),
        26: ("dnsConfig", "PodDNSConfig"),
        27: ("shareProcessNamespace", _B, "z"),
        28: ("readinessGates", "PodReadinessGate", "r"),
        29: ("runtimeClassName", _S, "z"),
        30: ("enableServiceLinks", _B, "z"),
        31: ("preemptionPolicy", _S, "z"),
        32: ("overhead", _MSQ),
        33: ("topologySpreadConstraints", "TopologySpreadConstraint", "r"),
        34: ("ephemeralContainers", "EphemeralContainer", "r"),
        35: ("setHostnameAsFQDN", _B, "z"),
        36: ("os", "PodOS"),
        37: ("hostUsers", _B, "z"),
        38: ("schedulingGates", "PodSchedulingGate", "r"),
        39: ("resourceClaims", "PodResourceClaim", "r"),
        40: ("resources", "ResourceRequirements"),
        41: ("hostnameOverride", _S, "z"),
        42: ("workloadRef", "WorkloadReference"),
    },
    "Container": _CONTAINER,
    "EphemeralContainer": {1: ("", "EphemeralContainerCommon", "i"), 2: ("targetContainerName", _S)},
    "EphemeralContainerCommon": _CONTAINER,
    "ContainerPort": {
        1: ("name", _S),
        2: ("hostPort", _I32),
        3: ("containerPort", _I32),
        4: ("protocol", _S),
        5: ("hostIP", _S),
    },
    "ContainerResizePolicy": {1: ("resourceName", _S), 2: ("restartPolicy", _S)},
    "ContainerRestartRule": {1: ("action", _S), 2: ("exitCodes", "ContainerRestartRuleOnExitCodes")},
    "ContainerRestartRuleOnExitCodes": {1: ("operator", _S), 2: ("values", _I32, "r")},
    "EnvVar": {1: ("name", _S, "z"), 2: ("value", _S), 3: ("valueFrom", "EnvVarSource")},
    "EnvVarSource": {
        1: ("fieldRef", "ObjectFieldSelector"),
        2: ("resourceFieldRef", "ResourceFieldSelector"),
        3: ("configMapKeyRef", "ConfigMapKeySelector"),
        4: ("secretKeyRef", "SecretKeySelector"),
        5: ("fileKeyRef", "FileKeySelector"),
    },
    "ObjectFieldSelector": {1: ("apiVersion", _S), 2: ("fieldPath", _S)},
    "ResourceFieldSelector": {1: ("containerName", _S), 2: ("resource", _S), 3: ("divisor", "Quantity")},
    "ConfigMapKeySelector": {1: _LOR_INLINE, 2: ("key", _S), 3: ("optional", _B, "z")},
    "SecretKeySelector": {1: _LOR_INLINE, 2: ("key", _S), 3: ("optional", _B, "z")},
    "FileKeySelector": {1: ("volumeName", _S), 2: ("path", _S), 3: ("key", _S), 4: ("optional", _B, "z")},
    "EnvFromSource": {
        1: ("prefix", _S),
        2: ("configMapRef", "ConfigMapEnvSource"),
        3: ("secretRef", "SecretEnvSource"),
    },
    "ConfigMapEnvSource": {1: _LOR_INLINE, 2: ("optional", _B, "z")},
    "SecretEnvSource": {1: _LOR_INLINE, 2: ("optional", _B, "z")},
    "ResourceRequirements": {1: ("limits", _MSQ), 2: ("requests", _MSQ), 3: ("claims", "ResourceClaim", "r")},
    "ResourceClaim": {1: ("name", _S), 2: ("request", _S)},
    "VolumeMount": {
        1: ("name", _S),
        2: ("readOnly", _B),
        3: ("mountPath", _S),
        4: ("subPath", _S),
        5: ("mountPropagation", _S, "z"),
        6: ("subPathExpr", _S),
        7: ("recursiveReadOnly", _S, "z"),
    },
    "VolumeDevice": {1: ("name", _S), 2: ("devicePath", _S)},
    "Probe": {
        1: ("", "ProbeHandler", "i"),
        2: ("initialDelaySeconds", _I32),
        3: ("timeoutSeconds", _I32),
        4: ("periodSeconds", _I32),
        5: ("successThreshold", _I32),
        6: ("failureThreshold", _I32),
        7: ("terminationGracePeriodSeconds", _I64, "z"),
    },
    "ProbeHandler": {
        1: ("exec", "ExecAction"),
        2: ("httpGet", "HTTPGetAction"),
        3: ("tcpSocket", "TCPSocketAction"),
        4: ("grpc", "GRPCAction"),
    },
    "ExecAction": {1: ("command", _S, "r")},
    "HTTPGetAction": {
        1: ("path", _S),
        2: ("port", "IntOrString"),
        3: ("host", _S),
        4: ("scheme", _S),
        5: ("httpHeaders", "HTTPHeader", "r"),
    },
    "HTTPHeader": {1: ("name", _S), 2: ("value", _S)},
    "TCPSocketAction": {1: ("port", "IntOrString"), 2: ("host", _S)},
    "GRPCAction": {1: ("port", _I32), 2: ("service", _S, "z")},
    "Lifecycle": {
        1: ("postStart", "LifecycleHandler"),
        2: ("preStop", "LifecycleHandler"),
        3: ("stopSignal", _S, "z"),
    },
    "LifecycleHandler": {
        1: ("exec", "ExecAction"),
        2: ("httpGet", "HTTPGetAction"),
        3: ("tcpSocket", "TCPSocketAction"),
        4: ("sleep", "SleepAction"),
    },
    "SleepAction": {1: ("seconds", _I64, "z")},
    "SecurityContext": {
        1: ("capabilities", "Capabilities"),
        2: ("privileged", _B, "z"),
        3: ("seLinuxOptions", "SELinuxOptions"),
        4: ("runAsUser", _I64, "z"),
        5: ("runAsNonRoot", _B, "z"),
        6: ("readOnlyRootFilesystem", _B, "z"),
        7: ("allowPrivilegeEscalation", _B, "z"),
        8: ("runAsGroup", _I64, "z"),
        9: ("procMount", _S, "z"),
        10: ("windowsOptions", "WindowsSecurityContextOptions"),
        11: ("seccompProfile", "SeccompProfile"),
        12: ("appArmorProfile", "AppArmorProfile"),
        13: ("ulimits", "Ulimit", "r"),
    },
    "Capabilities": {1: ("add", _S, "r"), 2: ("drop", _S, "r")},
    "SELinuxOptions": {1: ("user", _S), 2: ("role", _S), 3: ("type", _S), 4: ("level", _S)},
    "WindowsSecurityContextOptions": {
        1: ("gmsaCredentialSpecName", _S, "z"),
        2: ("gmsaCredentialSpec", _S, "z"),
        3: ("runAsUserName", _S, "z"),
        4: ("hostProcess", _B, "z"),
    },
    "SeccompProfile": {1: ("type", _S), 2: ("localhostProfile", _S, "z")},
    "AppArmorProfile": {1: ("type", _S), 2: ("localhostProfile", _S, "z")},
    "Ulimit": {1: ("name", _S), 2: ("hard", _I64), 3: ("soft", _I64)},
    "PodSecurityContext": {
        1: ("seLinuxOptions", "SELinuxOptions"),
        2: ("runAsUser", _I64, "z"),
        3: ("runAsNonRoot", _B, "z"),
        4: ("supplementalGroups", _I64, "r"),
        5: ("fsGroup", _I64, "z"),
        6: ("runAsGroup", _I64, "z"),
        7: ("sysctls", "Sysctl", "r"),
        8: ("windowsOptions", "WindowsSecurityContextOptions"),
        9: ("fsGroupChangePolicy", _S, "z"),
        10: ("seccompProfile", "SeccompProfile"),
        11: ("appArmorProfile", "AppArmorProfile"),
        12: ("supplementalGroupsPolicy", _S, "z"),
        13: ("seLinuxChangePolicy", _S, "z"),
    },
    "Sysctl": {1: ("name", _S), 2: ("value", _S)},
    "Affinity": {
        1: ("nodeAffinity", "NodeAffinity"),
        2: ("podAffinity", "PodAffinity"),
        3: ("podAntiAffinity", "PodAntiAffinity"),
    },
    "NodeAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "NodeSelector"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "PreferredSchedulingTerm", "r"),
    },
    "NodeSelector": {1: ("nodeSelectorTerms", "NodeSelectorTerm", "r")},
    "NodeSelectorTerm": {
        1: ("matchExpressions", "NodeSelectorRequirement", "r"),
        2: ("matchFields", "NodeSelectorRequirement", "r"),
    },
    "NodeSelectorRequirement": {1: ("key", _S), 2: ("operator", _S), 3: ("values", _S, "r")},
    "PreferredSchedulingTerm": {1: ("weight", _I32), 2: ("preference", "NodeSelectorTerm")},
    "PodAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "PodAffinityTerm", "r"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "WeightedPodAffinityTerm", "r"),
    },
    "PodAntiAffinity": {
        1: ("requiredDuringSchedulingIgnoredDuringExecution", "PodAffinityTerm", "r"),
        2: ("preferredDuringSchedulingIgnoredDuringExecution", "WeightedPodAffinityTerm", "r"),
    },
    "PodAffinityTerm": {
        1: ("labelSelector", "LabelSelector"),
        2: ("namespaces", _S, "r"),
        3: ("topologyKey", _S),
        4: ("namespaceSelector", "LabelSelector"),
        5: ("matchLabelKeys", _S, "r"),
        6: ("mismatchLabelKeys", _S, "r"),
    },
    "WeightedPodAffinityTerm": {1: ("weight", _I32), 2: ("podAffinityTerm", "PodAffinityTerm")},
    "Toleration": {
        1: ("key", _S),
        2: ("operator", _S),
        3: ("value", _S),
        4: ("effect", _S),
        5: ("tolerationSeconds", _I64, "z"),
    },
    "HostAlias": {1: ("ip", _S), 2: ("hostnames", _S, "r")},
    "PodDNSConfig": {
        1: ("nameservers", _S, "r"),
        2: ("searches", _S, "r"),
        3: ("options", "PodDNSConfigOption", "r"),
    },
    "PodDNSConfigOption": {1: ("name", _S), 2: ("value", _S, "z")},
    "PodReadinessGate": {1: ("conditionType", _S)},
    "TopologySpreadConstraint": {
        1: ("maxSkew", _I32),
        2: ("topologyKey", _S),
        3: ("whenUnsatisfiable", _S),
        4: ("labelSelector", "LabelSelector"),
        5: ("minDomains", _I32, "z"),
        6: ("nodeAffinityPolicy", _S, "z"),
        7: ("nodeTaintsPolicy", _S, "z"),
        8: ("matchLabelKeys", _S, "r"),
    },
    "PodOS": {1: ("name", _S)},
    "PodSchedulingGate": {1: ("name", _S)},
    "PodResourceClaim": {
        1: ("name", _S),
        3: ("resourceClaimName", _S, "z"),
        4: ("resourceClaimTemplateName", _S, "z"),
    },
    "WorkloadReference": {1: ("name", _S), 2: ("podGroup", _S), 3: ("podGroupReplicaKey", _S)},
    # volumes
    "Volume": {1: ("name", _S), 2: ("", "VolumeSource", "i")},
    "VolumeSource": {
        1: ("hostPath", "HostPathVolumeSource"),
        2: ("emptyDir", "EmptyDirVolumeSource"),
        6: ("secret", "SecretVolumeSource"),
        7: ("nfs", "NFSVolumeSource"),
        10: ("persistentVolumeClaim", "PersistentVolumeClaimVolumeSource"),
        16: ("downwardAPI", "DownwardAPIVolumeSource"),
        19: ("configMap", "ConfigMapVolumeSource"),
        26: ("projected", "ProjectedVolumeSource"),
        28: ("csi", "CSIVolumeSource"),
        29: ("ephemeral", "EphemeralVolumeSource"),
        30: ("image", "ImageVolumeSource"),
    },
    "HostPathVolumeSource": {1: ("path", _S), 2: ("type", _S, "z")},
    "EmptyDirVolumeSource": {1: ("medium", _S), 2: ("sizeLimit", "Quantity")},
    "SecretVolumeSource": {
        1: ("secretName", _S),
        2: ("items", "KeyToPath", "r"),
        3: ("defaultMode", _I32, "z"),
        4: ("optional", _B, "z"),
    },
    "KeyToPath": {1: ("key", _S), 2: ("path", _S), 3: ("mode", _I32, "z")},
    "NFSVolumeSource": {1: ("server", _S), 2: ("path", _S), 3: ("readOnly", _B)},
    "PersistentVolumeClaimVolumeSource": {1: ("claimName", _S), 2: ("readOnly", _B)},
    "DownwardAPIVolumeSource": {1: ("items", "DownwardAPIVolumeFile", "r"), 2: ("defaultMode", _I32, "z")},
    "DownwardAPIVolumeFile": {
        1: ("path", _S),
        2: ("fieldRef", "ObjectFieldSelector"),
        3: ("resourceFieldRef", "ResourceFieldSelector"),
        4: ("mode", _I32, "z"),
    },
    "ConfigMapVolumeSource": {
        1: _LOR_INLINE,
        2: ("items", "KeyToPath", "r"),
        3: ("defaultMode", _I32, "z"),
        4: ("optional", _B, "z"),
    },
    "ProjectedVolumeSource": {1: ("sources", "VolumeProjection", "r"), 2: ("defaultMode", _I32, "z")},
    "VolumeProjection": {
        1: ("secret", "SecretProjection"),
        2: ("downwardAPI", "DownwardAPIProjection"),
        3: ("configMap", "ConfigMapProjection"),
        4: ("serviceAccountToken", "ServiceAccountTokenProjection"),
        5: ("clusterTrustBundle", "ClusterTrustBundleProjection"),
        6: ("podCertificate", "PodCertificateProjection"),
    },
    "SecretProjection": {1: _LOR_INLINE, 2: ("items", "KeyToPath", "r"), 4: ("optional", _B, "z")},
    "ConfigMapProjection": {1: _LOR_INLINE, 2: ("items", "KeyToPath", "r"), 4: ("optional", _B, "z")},
    "DownwardAPIProjection": {1: ("items", "DownwardAPIVolumeFile", "r")},
    "ServiceAccountTokenProjection": {
        1: ("audience", _S),
        2: ("expirationSeconds", _I64, "z"),
        3: ("path", _S),
    },
    "ClusterTrustBundleProjection": {
        1: ("name", _S, "z"),
        2: ("signerName", _S, "z"),
        3: ("labelSelector", "LabelSelector"),
        4: ("path", _S),
        5: ("optional", _B, "z"),
    },
    "PodCertificateProjection": {
        1: ("signerName", _S),
        2: ("keyType", _S),
        3: ("maxExpirationSeconds", _I32, "z"),
        4: ("credentialBundlePath", _S),
        5: ("keyPath", _S),
        6: ("certificateChainPath", _S),
        7: ("userAnnotations", _MSS),
    },
    "CSIVolumeSource": {
        1: ("driver", _S),
        2: ("readOnly", _B, "z"),
        3: ("fsType", _S, "z"),
        4: ("volumeAttributes", _MSS),
        5: ("nodePublishSecretRef", "LocalObjectReference"),
    },
    "EphemeralVolumeSource": {1: ("volumeClaimTemplate", "PersistentVolumeClaimTemplate")},
    "PersistentVolumeClaimTemplate": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "PersistentVolumeClaimSpec"),
    },
    "PersistentVolumeClaimSpec": {
        1: ("accessModes", _S, "r"),
        2: ("resources", "VolumeResourceRequirements"),
        3: ("volumeName", _S),
        4: ("selector", "LabelSelector"),
        5: ("storageClassName", _S, "z"),
        6: ("volumeMode", _S, "z"),
        7: ("dataSource", "TypedLocalObjectReference"),
        8: ("dataSourceRef", "TypedObjectReference"),
        9: ("volumeAttributesClassName", _S, "z"),
    },
    "VolumeResourceRequirements": {1: ("limits", _MSQ), 2: ("requests", _MSQ)},
    "ImageVolumeSource": {1: ("reference", _S), 2: ("pullPolicy", _S)},
    # pod status (a typed client always writes the empty status struct)
    "PodStatus": {
        1: ("phase", _S),
        2: ("conditions", "PodCondition", "r"),
        3: ("message", _S),
        4: ("reason", _S),
        5: ("hostIP", _S),
        6: ("podIP", _S),
        7: ("startTime", "Time"),
        8: ("containerStatuses", "ContainerStatus", "r"),
        9: ("qosClass", _S),
        10: ("initContainerStatuses", "ContainerStatus", "r"),
        11: ("nominatedNodeName", _S),
        12: ("podIPs", "PodIP", "r"),
        13: ("ephemeralContainerStatuses", "ContainerStatus", "r"),
        14: ("resize", _S),
        15: ("resourceClaimStatuses", "PodResourceClaimStatus", "r"),
        16: ("hostIPs", "PodIP", "r"),
        17: ("observedGeneration", _I64),
        19: ("allocatedResources", _MSQ),
        20: ("resources", "ResourceRequirements"),
    },
    "PodCondition": {
        1: ("type", _S),
        2: ("status", _S),
        3: ("lastProbeTime", "Time"),
        4: ("lastTransitionTime", "Time"),
        5: ("reason", _S),
        6: ("message", _S),
        7: ("observedGeneration", _I64),
    },
    "PodIP": {1: ("ip", _S)},
    "PodResourceClaimStatus": {1: ("name", _S), 2: ("resourceClaimName", _S, "z")},
    "ContainerStatus": {
        1: ("name", _S),
        2: ("state", "ContainerState"),
        3: ("lastState", "ContainerState"),
        4: ("ready", _B, "z"),
        5: ("restartCount", _I32, "z"),
        6: ("image", _S),
        7: ("imageID", _S),
        8: ("containerID", _S),
        9: ("started", _B, "z"),
        10: ("allocatedResources", _MSQ),
        11: ("resources", "ResourceRequirements"),
        12: ("volumeMounts", "VolumeMountStatus", "r"),
        15: ("stopSignal", _S, "z"),
    },
    "ContainerState": {
        1: ("waiting", "ContainerStateWaiting"),
        2: ("running", "ContainerStateRunning"),
        3: ("terminated", "ContainerStateTerminated"),
    },
    "ContainerStateWaiting": {1: ("reason", _S), 2: ("message", _S)},
    "ContainerStateRunning": {1: ("startedAt", "Time")},
    "ContainerStateTerminated": {
        1: ("exitCode", _I32, "z"),
        2: ("signal", _I32),
        3: ("reason", _S),
        4: ("message", _S),
        5: ("startedAt", "Time"),
        6: ("finishedAt", "Time"),
        7: ("containerID", _S),
    },
    "VolumeMountStatus": {
        1: ("name", _S),
        2: ("mountPath", _S),
        3: ("readOnly", _B),
        4: ("recursiveReadOnly", _S, "z"),
    },
    # ---- apps/v1 ----
    "Deployment": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "DeploymentSpec"),
        3: ("status", "DeploymentStatus"),
    },
    "DeploymentSpec": {
        1: ("replicas", _I32, "z"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", _I32),
        6: ("revisionHistoryLimit", _I32, "z"),
        7: ("paused", _B),
        9: ("progressDeadlineSeconds", _I32, "z"),
        10: ("podReplacementPolicy", _S, "z"),
    },
    "DeploymentStrategy": {1: ("type", _S), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"), 2: ("maxSurge", "IntOrString")},
    "DeploymentStatus": {
        1: ("observedGeneration", _I64),
        2: ("replicas", _I32),
        3: ("updatedReplicas", _I32),
        4: ("availableReplicas", _I32),
        5: ("unavailableReplicas", _I32),
        6: ("conditions", "DeploymentCondition", "r"),
        7: ("readyReplicas", _I32),
        8: ("collisionCount", _I32, "z"),
        9: ("terminatingReplicas", _I32, "z"),
    },
    "DeploymentCondition": {
        1: ("type", _S),
        2: ("status", _S),
        4: ("reason", _S),
        5: ("message", _S),
        6: ("lastUpdateTime", "Time"),
        7: ("lastTransitionTime", "Time"),
    },
    # ---- batch/v1 ----
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", "JobStatus")},
    "JobSpec": {
        1: ("parallelism", _I32, "z"),
        2: ("completions", _I32, "z"),
        3: ("activeDeadlineSeconds", _I64, "z"),
        4: ("selector", "LabelSelector"),
        5: ("manualSelector", _B, "z"),
        6: ("template", "PodTemplateSpec"),
        7: ("backoffLimit", _I32, "z"),
        8: ("ttlSecondsAfterFinished", _I32, "z"),
        9: ("completionMode", _S, "z"),
        10: ("suspend", _B, "z"),
        11: ("podFailurePolicy", "PodFailurePolicy"),
        12: ("backoffLimitPerIndex", _I32, "z"),
        13: ("maxFailedIndexes", _I32, "z"),
        14: ("podReplacementPolicy", _S, "z"),
        15: ("managedBy", _S, "z"),
        16: ("successPolicy", "SuccessPolicy"),
    },
    "PodFailurePolicy": {1: ("rules", "PodFailurePolicyRule", "r")},
    "PodFailurePolicyRule": {
        1: ("action", _S),
        2: ("onExitCodes", "PodFailurePolicyOnExitCodesRequirement"),
        3: ("onPodConditions", "PodFailurePolicyOnPodConditionsPattern", "r"),
    },
    "PodFailurePolicyOnExitCodesRequirement": {
        1: ("containerName", _S, "z"),
        2: ("operator", _S),
        3: ("values", _I32, "r"),
    },
    "PodFailurePolicyOnPodConditionsPattern": {1: ("type", _S), 2: ("status", _S)},
    "SuccessPolicy": {1: ("rules", "SuccessPolicyRule", "r")},
    "SuccessPolicyRule": {1: ("succeededIndexes", _S, "z"), 2: ("succeededCount", _I32, "z")},
    "JobStatus": {
        1: ("conditions", "JobCondition", "r"),
        2: ("startTime", "Time"),
        3: ("completionTime", "Time"),
        4: ("active", _I32),
        5: ("succeeded", _I32),
        6: ("failed", _I32),
        7: ("completedIndexes", _S),
        8: ("uncountedTerminatedPods", "UncountedTerminatedPods"),
        9: ("ready", _I32, "z"),
        10: ("failedIndexes", _S, "z"),
        11: ("terminating", _I32, "z"),
    },
    "JobCondition": {
        1: ("type", _S),
        2: ("status", _S),
        3: ("lastProbeTime", "Time"),
        4: ("lastTransitionTime", "Time"),
        5: ("reason", _S),
        6: ("message", _S),
    },
    "UncountedTerminatedPods": {1: ("succeeded", _S, "r"), 2: ("failed", _S, "r")},
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec"), 3: ("status", "CronJobStatus")},
    "CronJobSpec": {
        1: ("schedule", _S),
        2: ("startingDeadlineSeconds", _I64, "z"),
        3: ("concurrencyPolicy", _S),
        4: ("suspend", _B, "z"),
        5: ("jobTemplate", "JobTemplateSpec"),
        6: ("successfulJobsHistoryLimit", _I32, "z"),
        7: ("failedJobsHistoryLimit", _I32, "z"),
        8: ("timeZone", _S, "z"),
    },
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "CronJobStatus": {
        1: ("active", "ObjectReference", "r"),
        4: ("lastScheduleTime", "Time"),
        5: ("lastSuccessfulTime", "Time"),
    },
    # ---- policy/v1 ----
    "PodDisruptionBudget": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "PodDisruptionBudgetSpec"),
        3: ("status", "PodDisruptionBudgetStatus"),
    },
    "PodDisruptionBudgetSpec": {
        1: ("minAvailable", "IntOrString"),
        2: ("selector", "LabelSelector"),
        3: ("maxUnavailable", "IntOrString"),
        4: ("unhealthyPodEvictionPolicy", _S, "z"),
    },
    "PodDisruptionBudgetStatus": {
        1: ("observedGeneration", _I64),
        2: ("disruptedPods", _MST),
        3: ("disruptionsAllowed", _I32, "z"),
        4: ("currentHealthy", _I32, "z"),
        5: ("desiredHealthy", _I32, "z"),
        6: ("expectedPods", _I32, "z"),
        7: ("conditions", "Condition", "r"),
    },
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    # ---- authentication.k8s.io/v1 ----
    "TokenRequest": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "TokenRequestSpec"),
        3: ("status", "TokenRequestStatus"),
    },
    "TokenRequestSpec": {
        1: ("audiences", _S, "r"),
        3: ("boundObjectRef", "BoundObjectReference"),
        4: ("expirationSeconds", _I64, "z"),
    },
    "BoundObjectReference": {1: ("kind", _S), 2: ("apiVersion", _S), 3: ("name", _S), 4: ("uid", _S)},
    "TokenRequestStatus": {1: ("token", _S), 2: ("expirationTimestamp", "Time")},
    # ---- scheduling.k8s.io/v1 ----
    "PriorityClass": {
        1: ("metadata", "ObjectMeta"),
        2: ("value", _I32, "z"),
        3: ("globalDefault", _B),
        4: ("description", _S),
        5: ("preemptionPolicy", _S, "z"),
    },
    # ---- rbac.authorization.k8s.io/v1 ----
    "PolicyRule": {
        1: ("verbs", _S, "r"),
        2: ("apiGroups", _S, "r"),
        3: ("resources", _S, "r"),
        4: ("resourceNames", _S, "r"),
        5: ("nonResourceURLs", _S, "r"),
    },
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "PolicyRule", "r")},
    "ClusterRole": {
        1: ("metadata", "ObjectMeta"),
        2: ("rules", "PolicyRule", "r"),
        3: ("aggregationRule", "AggregationRule"),
    },
    "AggregationRule": {1: ("clusterRoleSelectors", "LabelSelector", "r")},
    "Subject": {1: ("kind", _S), 2: ("apiGroup", _S), 3: ("name", _S), 4: ("namespace", _S)},
    "RoleRef": {1: ("apiGroup", _S), 2: ("kind", _S), 3: ("name", _S)},
    "RoleBinding": {
        1: ("metadata", "ObjectMeta"),
        2: ("subjects", "Subject", "r"),
        3: ("roleRef", "RoleRef"),
    },
    "ClusterRoleBinding": {
        1: ("metadata", "ObjectMeta"),
        2: ("subjects", "Subject", "r"),
        3: ("roleRef", "RoleRef"),
    },
}

# Top-level kinds a protobuf body may carry: (apiVersion, kind) -> message.
KINDS: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("v1", "Pod"): "Pod",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("v1", "Binding"): "Binding",
    ("v1", "DeleteOptions"): "DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("policy/v1", "Eviction"): "Eviction",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
}

SUPPORTED_KINDS = tuple(f"{v}/{k}" for v, k in KINDS)

_VARINT_SCALARS = {"int32", "int64", "bool"}
_SPECIAL = {"Time", "MicroTime", "Duration", "Quantity", "IntOrString", "FieldsV1"}
_ZERO: dict[str, Any] = {"string": "", "int32": 0, "int64": 0, "bool": False, "bytes": "", "double": 0.0}

# wire types
_VARINT, _I64BIT, _LEN, _I32BIT = 0, 1, 2, 5


# --------------------------------------------------------------------------------------------------
# Wire format
# --------------------------------------------------------------------------------------------------


def _read_varint(buf: bytes, pos: int, where: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError(f"truncated varint in {where}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError(f"varint too long in {where}")


def _iter_fields(buf: bytes, where: str) -> Iterator[tuple[int, int, Any]]:
    """Yield (field number, wire type, value) where value is an int (varint/fixed) or bytes."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos, where)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ProtobufError(f"invalid field number 0 in {where}")
        if wt == _VARINT:
            val, pos = _read_varint(buf, pos, where)
            yield num, wt, val
        elif wt == _LEN:
            n, pos = _read_varint(buf, pos, where)
            if pos + n > end:
                raise ProtobufError(f"truncated field {num} in {where}")
            yield num, wt, buf[pos : pos + n]
            pos += n
        elif wt in (_I64BIT, _I32BIT):
            size = 8 if wt == _I64BIT else 4
            if pos + size > end:
                raise ProtobufError(f"truncated field {num} in {where}")
            yield num, wt, buf[pos : pos + size]
            pos += size
        else:
            raise ProtobufError(f"unsupported wire type {wt} for field {num} in {where}")


def _signed(v: int, bits: int) -> int:
    v &= (1 << 64) - 1
    if v >= 1 << 63:
        v -= 1 << 64
    if bits == 32:
        v = (v + (1 << 31)) % (1 << 32) - (1 << 31)
    return v


def _scalar_from_varint(typ: str, v: int) -> Any:
    if typ == "bool":
        return v != 0
    return _signed(v, 32 if typ == "int32" else 64)


def _packed_varints(data: bytes, where: str) -> list[int]:
    out, pos = [], 0
    while pos < len(data):
        v, pos = _read_varint(data, pos, where)
        out.append(v)
    return out


# --------------------------------------------------------------------------------------------------
# Special messages
# --------------------------------------------------------------------------------------------------


def _time_parts(data: bytes, where: str) -> tuple[int, int] | None:
    if not data:
        return None  # Go writes the zero Time as an empty message (JSON null)
    seconds = nanos = 0
    for num, wt, val in _iter_fields(data, where):
        if wt != _VARINT or num not in (1, 2):
            raise ProtobufError(f"unknown field {num} in {where}")
        if num == 1:
            seconds = _signed(val, 64)
        else:
            nanos = _signed(val, 32)
    return seconds, nanos


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _format_time(seconds: int, nanos: int, micro: bool) -> str:
    try:
        t = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    except OverflowError as e:
        raise ProtobufError(f"time out of range: {seconds}s") from e
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{text}.{t.microsecond:06d}Z" if micro else f"{text}Z"


def _parse_time(value: str) -> tuple[int, int]:
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise ProtobufError(f"invalid time {value!r}") from e
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    delta = t - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return seconds, delta.microseconds * 1000


def _go_duration(ns: int) -> str:
    """time.Duration.String()."""
    if ns == 0:
        return "0s"
    sign, u = ("-", -ns) if ns < 0 else ("", ns)

    def frac(value: int, digits: int) -> str:
        whole, rest = divmod(value, 10**digits)
        text = f"{rest:0{digits}d}".rstrip("0")
        return f"{whole}.{text}" if text else str(whole)

    if u < 1_000_000_000:
        if u < 1_000:
            return f"{sign}{u}ns"
        if u < 1_000_000:
            return f"{sign}{frac(u, 3)}\u00b5s"
        return f"{sign}{frac(u, 6)}ms"
    secs, rest = divmod(u, 1_000_000_000)
    out = frac((secs % 60) * 1_000_000_000 + rest, 9) + "s"
    mins = secs // 60
    if mins:
        out = f"{mins % 60}m" + out
        if mins // 60:
            out = f"{mins // 60}h" + out
    return sign + out


def _parse_go_duration(text: str) -> int:
    units = {
        "ns": 1,
        "us": 1_000,
        "\u00b5s": 1_000,
        "\u03bcs": 1_000,
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    }
    s = text.strip()
    neg = s.startswith("-")
    s = s.lstrip("+-")
    if s == "0":
        return 0
    total, pos = 0, 0
    if not s:
        raise ProtobufError(f"invalid duration {text!r}")
    while pos < len(s):
        start = pos
        while pos < len(s) and (s[pos].isdigit() or s[pos] == "."):
            pos += 1
        number = s[start:pos]
        ustart = pos
        while pos < len(s) and not (s[pos].isdigit() or s[pos] == "."):
            pos += 1
        unit = s[ustart:pos]
        if not number or unit not in units:
            raise ProtobufError(f"invalid duration {text!r}")
        whole, _, fraction = number.partition(".")
        total += int(whole or "0") * units[unit]
        if fraction:
            total += int(fraction) * units[unit] // 10 ** len(fraction)
    return -total if neg else total


def _decode_special(typ: str, data: bytes) -> Any:
    """Decode one of the messages whose JSON form is a scalar; None means "omit"."""
    if typ in ("Time", "MicroTime"):
        parts = _time_parts(data, typ)
        return None if parts is None else _format_time(*parts, micro=typ == "MicroTime")
    if typ == "Quantity":
        text = ""
        for num, wt, val in _iter_fields(data, typ):
            if num != 1 or wt != _LEN:
                raise ProtobufError(f"unknown field {num} in Quantity")
            text = _utf8(val, "Quantity.string")
        return text or "0"
    if typ == "IntOrString":
        kind, ival, sval = 0, 0, ""
        for num, wt, val in _iter_fields(data, typ):
            if num == 1 and wt == _VARINT:
                kind = _signed(val, 64)
            elif num == 2 and wt == _VARINT:
                ival = _signed(val, 32)
            elif num == 3 and wt == _LEN:
                sval = _utf8(val, "IntOrString.strVal")
            else:
                raise ProtobufError(f"unknown field {num} in IntOrString")
        if kind not in (0, 1):
            raise ProtobufError(f"invalid IntOrString type {kind}")
        return ival if kind == 0 else sval
    if typ == "Duration":
        ns = 0
        for num, wt, val in _iter_fields(data, typ):
            if num != 1 or wt != _VARINT:
                raise ProtobufError(f"unknown field {num} in Duration")
            ns = _signed(val, 64)
        return _go_duration(ns)
    if typ == "FieldsV1":
        raw = b""
        for num, wt, val in _iter_fields(data, typ):
            if num != 1 or wt != _LEN:
                raise ProtobufError(f"unknown field {num} in FieldsV1")
            raw = val
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ProtobufError("FieldsV1 does not hold valid JSON") from e
    raise AssertionError(typ)


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtobufError(f"invalid UTF-8 in {where}") from e


# --------------------------------------------------------------------------------------------------
# Generic decoding
# --------------------------------------------------------------------------------------------------


def _decode_single(typ: Any, wt: int, val: Any, where: str) -> Any:
    """Decode a non-repeated, non-map value of type typ carried with wire type wt."""
    if typ in _VARINT_SCALARS:
        if wt != _VARINT:
            raise ProtobufError(f"wrong wire type {wt} for {where}")
        return _scalar_from_varint(typ, val)
    if typ == "double":
        if wt != _I64BIT:
            raise ProtobufError(f"wrong wire type {wt} for {where}")
        return struct.unpack("<d", val)[0]
    if wt != _LEN:
        raise ProtobufError(f"wrong wire type {wt} for {where}")
    if typ == "string":
        return _utf8(val, where)
    if typ == "bytes":
        return base64.b64encode(val).decode("ascii")
    if typ in _SPECIAL:
        return _decode_special(typ, val)
    return _decode_message(val, typ)


def _decode_map_entry(data: bytes, key_type: str, value_type: str, where: str) -> tuple[Any, Any]:
    key: Any = _ZERO.get(key_type, "")
    value: Any = _ZERO.get(value_type)
    got_value = False
    for num, wt, val in _iter_fields(data, where):
        if num == 1:
            key = _decode_single(key_type, wt, val, f"{where} key")
        elif num == 2:
            value = _decode_single(value_type, wt, val, f"{where} value")
            got_value = True
        else:
            raise ProtobufError(f"unknown field {num} in {where} entry")
    if not got_value and value_type in SCHEMA:
        value = {}
    if not got_value and value_type == "Quantity":
        value = "0"
    return key, value


def _decode_message(data: bytes, msg: str) -> dict[str, Any]:
    schema = SCHEMA[msg]
    out: dict[str, Any] = {}
    for num, wt, val in _iter_fields(data, msg):
        spec = schema.get(num)
        if spec is None:
            raise ProtobufError(f"unknown field {num} in {msg}")
        name, typ = spec[0], spec[1]
        flags = spec[2] if len(spec) > 2 else ""
        where = f"{msg}.{name or typ}"
        if isinstance(typ, tuple):  # map
            if wt != _LEN:
                raise ProtobufError(f"wrong wire type {wt} for {where}")
            key, value = _decode_map_entry(val, typ[1], typ[2], where)
            out.setdefault(name, {})[key] = value
        elif "r" in flags:
            items = out.setdefault(name, [])
            if wt == _LEN and typ in _VARINT_SCALARS:  # packed
                items.extend(_scalar_from_varint(typ, v) for v in _packed_varints(val, where))
            else:
                item = _decode_single(typ, wt, val, where)
                items.append(item if item is not None else _ZERO.get(typ))
        elif "i" in flags:
            if wt != _LEN:
                raise ProtobufError(f"wrong wire type {wt} for {where}")
            out.update(_decode_message(val, typ))
        else:
            value = _decode_single(typ, wt, val, where)
            if value is None or (typ in _ZERO and "z" not in flags and value == _ZERO[typ]):
                out.pop(name, None)
            else:
                out[name] = value
    return out


def _decode_envelope(raw: bytes) -> tuple[str, str, bytes]:
    """Split the envelope into (apiVersion, kind, payload)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ProtobufError("protobuf body must be bytes")
    raw = bytes(raw)
    if raw[:4] != MAGIC:
        raise ProtobufError("protobuf body does not start with the Kubernetes magic prefix k8s\\x00")
    type_meta: dict[str, Any] = {}
    payload, encoding, content_type = b"", "", ""
    for num, wt, val in _iter_fields(raw[4:], "Unknown"):
        if wt != _LEN or num not in (1, 2, 3, 4):
            raise ProtobufError(f"unknown field {num} in Unknown")
        if num == 1:
            type_meta = _decode_message(val, "TypeMeta")
        elif num == 2:
            payload = val
        elif num == 3:
            encoding = _utf8(val, "Unknown.contentEncoding")
        else:
            content_type = _utf8(val, "Unknown.contentType")
    if encoding:
        raise ProtobufError(f"unsupported protobuf content encoding {encoding!r}")
    if content_type not in ("", "application/vnd.kubernetes.protobuf"):
        raise ProtobufError(f"unsupported content type {content_type!r} inside the protobuf envelope")
    return type_meta.get("apiVersion", ""), type_meta.get("kind", ""), payload


def _message_for(api_version: str, kind: str) -> str:
    msg = KINDS.get((api_version, kind))
    if msg is None:
        what = f"{api_version}/{kind}" if api_version or kind else "an object without apiVersion/kind"
        raise ProtobufError(
            f"protobuf bodies are supported for {', '.join(SUPPORTED_KINDS)}; send JSON for {what}"
        )
    return msg


def decode_object(raw: bytes) -> dict[str, Any]:
    """Decode a Kubernetes protobuf envelope into the JSON-shaped object the JSON API would carry."""
    api_version, kind, payload = _decode_envelope(raw)
    msg = _message_for(api_version, kind)
    body = _decode_message(payload, msg)
    return {"apiVersion": api_version, "kind": kind, **body}


# --------------------------------------------------------------------------------------------------
# Encoding (the inverse, from the same table)
# --------------------------------------------------------------------------------------------------


def _varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(num: int, wt: int) -> bytes:
    return _varint(num << 3 | wt)


def _len_field(num: int, payload: bytes) -> bytes:
    return _key(num, _LEN) + _varint(len(payload)) + payload


def _encode_special(typ: str, value: Any, where: str) -> bytes:
    if typ in ("Time", "MicroTime"):
        if not isinstance(value, str):
            raise ProtobufError(f"{where} must be an RFC 3339 string")
        seconds, nanos = _parse_time(value)
        out = _key(1, _VARINT) + _varint(seconds)
        if nanos:
            out += _key(2, _VARINT) + _varint(nanos)
        return out
    if typ == "Quantity":
        return _len_field(1, str(value).encode())
    if typ == "IntOrString":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProtobufError(f"{where} must be an int or a string")
        if isinstance(value, int):
            return _key(1, _VARINT) + _varint(0) + _key(2, _VARINT) + _varint(value)
        return _key(1, _VARINT) + _varint(1) + _len_field(3, value.encode())
    if typ == "Duration":
        return _key(1, _VARINT) + _varint(_parse_go_duration(str(value)))
    if typ == "FieldsV1":
        return _len_field(1, json.dumps(value, separators=(",", ":")).encode())
    raise AssertionError(typ)


def _encode_single(num: int, typ: str, value: Any, where: str) -> bytes:
    if typ == "bool":
        if not isinstance(value, bool):
            raise ProtobufError(f"{where} must be a boolean")
        return _key(num, _VARINT) + _varint(int(value))
    if typ in ("int32", "int64"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtobufError(f"{where} must be an integer")
        return _key(num, _VARINT) + _varint(value)
    if typ == "double":
        return _key(num, _I64BIT) + struct.pack("<d", float(value))
    if typ == "string":
        if not isinstance(value, str):
            raise ProtobufError(f"{where} must be a string")
        return _len_field(num, value.encode())
    if typ == "bytes":
        try:
            return _len_field(num, base64.b64decode(value, validate=True))
        except (binascii.Error, TypeError, ValueError) as e:
            raise ProtobufError(f"{where} must be base64") from e
    if typ in _SPECIAL:
        return _len_field(num, _encode_special(typ, value, where))
    if not isinstance(value, dict):
        raise ProtobufError(f"{where} must be an object")
    return _len_field(num, _encode_message(value, typ))


def _inline_keys(msg: str) -> set[str]:
    keys: set[str] = set()
    for spec in SCHEMA[msg].values():
        if len(spec) > 2 and "i" in spec[2]:
            keys |= _inline_keys(spec[1])
        else:
            keys.add(spec[0])
    return keys


def _encode_message(obj: dict[str, Any], msg: str) -> bytes:
    schema = SCHEMA[msg]
    known = _inline_keys(msg)
    extra = sorted(set(obj) - known)
    if extra:
        raise ProtobufError(f"cannot encode field {extra[0]!r} of {msg}")
    out = bytearray()
    for num in sorted(schema):
        spec = schema[num]
        name, typ = spec[0], spec[1]
        flags = spec[2] if len(spec) > 2 else ""
        where = f"{msg}.{name or typ}"
        if "i" in flags:
            sub = {k: v for k, v in obj.items() if k in _inline_keys(typ)}
            if sub:
                out += _len_field(num, _encode_message(sub, typ))
            continue
        if name not in obj or obj[name] is None:
            continue
        value = obj[name]
        if isinstance(typ, tuple):
            if not isinstance(value, dict):
                raise ProtobufError(f"{where} must be an object")
            for k, v in value.items():
                entry = _encode_single(1, typ[1], k, f"{where} key") + _encode_single(
                    2, typ[2], v, f"{where}[{k}]"
                )
                out += _len_field(num, entry)
        elif "r" in flags:
            if not isinstance(value, list):
                raise ProtobufError(f"{where} must be a list")
            for item in value:
                out += _encode_single(num, typ, item, where)
        else:
            if typ in _ZERO and "z" not in flags and value == _ZERO[typ] and type(value) is type(_ZERO[typ]):
                continue
            out += _encode_single(num, typ, value, where)
    return bytes(out)


def encode_object(obj: dict[str, Any]) -> bytes:
    """Encode a JSON-shaped object as a Kubernetes protobuf envelope (the inverse of decode_object)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    msg = _message_for(api_version, kind)
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    type_meta = _len_field(1, api_version.encode()) + _len_field(2, kind.encode())
    unknown = _len_field(1, type_meta) + _len_field(2, _encode_message(body, msg))
    return MAGIC + unknown
