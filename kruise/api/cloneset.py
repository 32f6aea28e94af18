"""CloneSet apps.kruise.io/v1alpha1: types, webhook defaults and webhook validation (§3.1, §1.2, §1.5).

Objects stay dicts everywhere else; `CloneSet.model_validate(obj)` gives a typed view. The pod
`template` and `volumeClaimTemplates` stay plain dicts (their schema is Kubernetes').
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, ValidationError

from kruise.api.objects import json_kind

from .crd import (
    SCHEMA_REQUIRED,
    Int32,
    Int64,
    IntOrString,
    LabelSelectorDict,
    ObjectMetaDict,
    Schemaless,
    SchemalessList,
)
from .fielderrors import (
    FieldError,
    GoValue,
    forbidden,
    go_intstr,
    go_list,
    go_quote,
    go_string_map,
    go_string_slice,
    invalid,
    not_supported,
    required,
    type_invalid,
)
from .lifecycle import KruiseModel, Lifecycle
from .ordering import ScatterTerm, UpdatePriorityStrategy
from .selectors import SelectorError, label_selector_from_dict, label_value_errors, qualified_name_errors

Obj = dict[str, Any]

GROUP = "apps.kruise.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "CloneSet"
PLURAL = "clonesets"

INSTANCE_ID_LABEL = "apps.kruise.io/cloneset-instance-id"
SCALING_EXCLUDE_PREPARING_DELETE_LABEL = "apps.kruise.io/cloneset-scaling-exclude-preparing-delete"
IMAGE_PREDOWNLOAD_PARALLELISM_ANNOTATION = "apps.kruise.io/image-predownload-parallelism"
IMAGE_PREDOWNLOAD_TIMEOUT_SECONDS_ANNOTATION = "apps.kruise.io/image-predownload-timeout-seconds"
IMAGE_PREDOWNLOAD_MIN_UPDATED_READY_PODS_ANNOTATION = (
    "apps.kruise.io/image-predownload-min-updated-ready-pods"
)

RECREATE = "ReCreate"
IN_PLACE_IF_POSSIBLE = "InPlaceIfPossible"
IN_PLACE_ONLY = "InPlaceOnly"
ON_DELETE = "OnDelete"  # only reachable through v1beta1 (type: OnDelete); the v1alpha1 webhook rejects it
UPDATE_STRATEGY_TYPES = (RECREATE, IN_PLACE_IF_POSSIBLE, IN_PLACE_ONLY)
DEFAULT_MAX_UNAVAILABLE = "20%"
DEFAULT_REVISION_HISTORY_LIMIT = 10
MAX_INT32 = 2**31 - 1

CONDITION_PROGRESSING = "Progressing"
CONDITION_FAILED_SCALE = "FailedScale"
CONDITION_FAILED_UPDATE = "FailedUpdate"


# --------------------------------------------------------------------------------------------
# Types


class InPlaceUpdateStrategy(KruiseModel):
    grace_period_seconds: Int32 | None = Field(default=None, alias="gracePeriodSeconds")


class CloneSetScaleStrategy(KruiseModel):
    pods_to_delete: list[str] | None = Field(default=None, alias="podsToDelete")
    max_unavailable: IntOrString | None = Field(default=None, alias="maxUnavailable")
    disable_pvc_reuse: bool | None = Field(default=None, alias="disablePVCReuse")


class RollingFields(KruiseModel):
    """Rollout fields both versions share (v1alpha1 updateStrategy, v1beta1 rollingUpdate)."""

    partition: IntOrString | None = None
    max_unavailable: IntOrString | None = Field(default=None, alias="maxUnavailable")
    max_surge: IntOrString | None = Field(default=None, alias="maxSurge")
    paused: bool | None = None
    priority_strategy: UpdatePriorityStrategy | None = Field(default=None, alias="priorityStrategy")
    scatter_strategy: list[ScatterTerm] | None = Field(default=None, alias="scatterStrategy")


class CloneSetUpdateStrategy(RollingFields):
    type: str | None = None
    in_place_update_strategy: InPlaceUpdateStrategy | None = Field(
        default=None, alias="inPlaceUpdateStrategy"
    )


class CloneSetSpecCommon(KruiseModel):
    """The spec fields v1alpha1 and v1beta1 share; only the strategies differ."""

    replicas: Int32 | None = None
    selector: LabelSelectorDict
    template: Schemaless
    volume_claim_templates: SchemalessList | None = Field(default=None, alias="volumeClaimTemplates")
    revision_history_limit: Int32 | None = Field(default=None, alias="revisionHistoryLimit")
    min_ready_seconds: Int32 | None = Field(default=None, alias="minReadySeconds")
    lifecycle: Lifecycle | None = None
    progress_deadline_seconds: Int32 | None = Field(default=None, alias="progressDeadlineSeconds")


class CloneSetSpec(CloneSetSpecCommon):
    """CloneSetSpec defines the desired state of CloneSet"""

    scale_strategy: CloneSetScaleStrategy | None = Field(default=None, alias="scaleStrategy")
    update_strategy: CloneSetUpdateStrategy | None = Field(default=None, alias="updateStrategy")


class CloneSetCondition(KruiseModel):
    type: str
    status: str
    last_transition_time: str | None = Field(
        default=None, alias="lastTransitionTime", json_schema_extra={"format": "date-time"}
    )
    last_update_time: str | None = Field(
        default=None, alias="lastUpdateTime", json_schema_extra={"format": "date-time"}
    )
    reason: str | None = None
    message: str | None = None


class CloneSetStatus(KruiseModel):
    """CloneSetStatus defines the observed state of CloneSet"""

    observed_generation: Int64 = Field(default=0, alias="observedGeneration")
    replicas: Int32 = Field(default=0, json_schema_extra=SCHEMA_REQUIRED)
    ready_replicas: Int32 = Field(default=0, alias="readyReplicas", json_schema_extra=SCHEMA_REQUIRED)
    available_replicas: Int32 = Field(default=0, alias="availableReplicas", json_schema_extra=SCHEMA_REQUIRED)
    updated_replicas: Int32 = Field(default=0, alias="updatedReplicas", json_schema_extra=SCHEMA_REQUIRED)
    updated_ready_replicas: Int32 = Field(
        default=0, alias="updatedReadyReplicas", json_schema_extra=SCHEMA_REQUIRED
    )
    updated_available_replicas: Int32 = Field(default=0, alias="updatedAvailableReplicas")
    expected_updated_replicas: Int32 = Field(default=0, alias="expectedUpdatedReplicas")
    update_revision: str | None = Field(default=None, alias="updateRevision")
    current_revision: str | None = Field(default=None, alias="currentRevision")
    collision_count: Int32 | None = Field(default=None, alias="collisionCount")
    label_selector: str | None = Field(default=None, alias="labelSelector")
    conditions: list[CloneSetCondition] | None = None


class CloneSet(KruiseModel):
    """CloneSet is the Schema for the clonesets API"""

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    metadata: ObjectMetaDict = Field(default_factory=dict)
    spec: CloneSetSpec
    status: CloneSetStatus | None = None


# --------------------------------------------------------------------------------------------
# Parsing: pydantic errors become field errors naming the wire path

_KUBE_TYPES = {
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "string_type": "string",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "list_type": "array",
}


def _loc_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif i == len(loc) - 1 and part in ("int", "str"):
            continue  # the member tag of an int-or-string union, not a field
        else:
            path += f".{part}" if path else str(part)
    return path


def parse_errors(exc: ValidationError) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for e in exc.errors():
        path = _loc_path(tuple(e["loc"]))
        if path in seen:
            continue  # an int-or-string union reports each member; one error per field is enough
        seen.add(path)
        etype = e["type"]
        if etype == "missing":
            errs.append(required(path))
            continue
        expected = "integer,string" if _is_int_or_string(e["loc"]) else _KUBE_TYPES.get(etype)
        value = e.get("input")
        if expected is not None:  # worded as the API server's schema check words it
            kind = json_kind(value)
            errs.append(
                type_invalid(path, kind, f"{path} in body must be of type {expected}: {go_quote(kind)}")
            )
        else:
            errs.append(
                invalid(path, value if isinstance(value, str | int | float | bool) else None, e["msg"])
            )
    return errs


def _is_int_or_string(loc: tuple[Any, ...]) -> bool:
    return bool(loc) and loc[-1] in ("int", "str")


def parse_cloneset(obj: Mapping[str, Any]) -> tuple[CloneSet | None, list[FieldError]]:
    """Typed view of a CloneSet dict; JSON types are checked strictly (no "5" for 5)."""
    try:
        return CloneSet.model_validate(obj, strict=True), []
    except ValidationError as exc:
        return None, parse_errors(exc)


# --------------------------------------------------------------------------------------------
# Defaults (the mutating webhook: SetDefaultsCloneSet, TemplateNoDefaults=false)


def _image_pull_policy(image: str) -> str:
    # kube defaults by the parsed tag: "latest" (or no tag and no digest) pulls always
    name = image.rsplit("/", 1)[-1]
    name, _, digest = name.partition("@")
    tag = name.split(":", 1)[1] if ":" in name else ""
    if not image or image != image.strip():
        return "IfNotPresent"  # unparsable references fall back to IfNotPresent
    if tag == "latest" or (not tag and not digest):
        return "Always"
    return "IfNotPresent"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _default_handler(probe)


def _default_handler(handler: Any) -> None:
    if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
        handler["httpGet"].setdefault("path", "/")
        handler["httpGet"].setdefault("scheme", "HTTP")


def _default_container(c: Obj) -> None:
    if "imagePullPolicy" not in c or not c["imagePullPolicy"]:
        c["imagePullPolicy"] = _image_pull_policy(c.get("image") or "")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for port in c.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            ref.setdefault("apiVersion", "v1")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(name))
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        _default_handler(lifecycle.get("postStart"))
        _default_handler(lifecycle.get("preStop"))


_MODE_VOLUMES = ("secret", "configMap", "downwardAPI", "projected")


def _default_volume(v: Obj) -> None:
    for source in _MODE_VOLUMES:
        if isinstance(v.get(source), dict):
            v[source].setdefault("defaultMode", 0o644)
    if isinstance(v.get("hostPath"), dict):
        v["hostPath"].setdefault("type", "")
    sources = [k for k in v if k != "name"]
    if not sources:
        v["emptyDir"] = {}


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec plus the per-container/volume defaults kube applies to pod templates."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _default_container(c)
    for v in spec.get("volumes") or []:
        if isinstance(v, dict):
            _default_volume(v)


def default_cloneset(obj: Mapping[str, Any], inject_template_defaults: bool = True) -> Obj:
    """A defaulted copy, as the CloneSet mutating webhook returns it.

    Template (and volumeClaimTemplates) defaults are injected on CREATE and on an UPDATE that
    changes the template; the webhook passes `inject_template_defaults` accordingly.
    """
    out = copy.deepcopy(dict(obj))
    spec = out.setdefault("spec", {})
    if not isinstance(spec, dict):
        return out
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEFAULT_REVISION_HISTORY_LIMIT
    if inject_template_defaults:
        template = spec.setdefault("template", {})
        if isinstance(template, dict):
            pod_spec = template.setdefault("spec", {})
            if isinstance(pod_spec, dict):
                default_pod_spec(pod_spec)
        for pvc in spec.get("volumeClaimTemplates") or []:
            if isinstance(pvc, dict):
                status = pvc.setdefault("status", {})
                if isinstance(status, dict) and not status.get("phase"):
                    status["phase"] = "Pending"
    if spec.get("scaleStrategy") is None:
        spec["scaleStrategy"] = {}  # a Go struct value: always serialised
    strategy = spec.get("updateStrategy")
    if strategy is None:
        strategy = spec["updateStrategy"] = {}
    if not isinstance(strategy, dict):
        return out
    if not strategy.get("type"):
        strategy["type"] = RECREATE
    elif (
        strategy["type"] in (IN_PLACE_IF_POSSIBLE, IN_PLACE_ONLY)
        and strategy.get("inPlaceUpdateStrategy") is None
    ):
        strategy["inPlaceUpdateStrategy"] = {}
    if strategy.get("partition") is None:
        strategy["partition"] = 0
    if strategy.get("maxUnavailable") is None:
        strategy["maxUnavailable"] = DEFAULT_MAX_UNAVAILABLE
    if strategy.get("maxSurge") is None:
        strategy["maxSurge"] = 0
    return out


# --------------------------------------------------------------------------------------------
# Validation (the validating webhook; messages as pkg/webhook/cloneset/validating)

_ATOI = re.compile(r"^[+-]?[0-9]+$")


def scaled_value(value: int | str | None, total: int, round_up: bool) -> tuple[int, str | None]:
    """Kruise's GetScaledValueFromIntOrPercent with kube's error texts: (value, error)."""
    if value is None:
        return 0, None
    if isinstance(value, int):
        return value, None
    if not value.endswith("%"):
        return 0, "invalid value for IntOrString: invalid type: string is not a percentage"
    digits = value[:-1]
    if not _ATOI.match(digits):
        return 0, (
            f"invalid value for IntOrString: invalid value {go_quote(value)}: "
            f"strconv.Atoi: parsing {go_quote(digits)}: invalid syntax"
        )
    exact = int(digits) * total / 100
    return (math.ceil(exact) if round_up else math.floor(exact)), None


def _nonnegative(path: str, value: int) -> list[FieldError]:
    return [invalid(path, value, "must be greater than or equal to 0")] if value < 0 else []


def _go_selector(sel: Mapping[str, Any]) -> GoValue:
    """`%#v` of a metav1.LabelSelector."""
    labels = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    labels_text = go_string_map(labels) if labels is not None else "map[string]string(nil)"
    if exprs is None:
        exprs_text = "[]v1.LabelSelectorRequirement(nil)"
    else:
        items = [
            f"v1.LabelSelectorRequirement{{Key:{go_quote(e.get('key', ''))}, "
            f"Operator:{go_quote(e.get('operator', ''))}, Values:{go_string_slice(e.get('values'))}}}"
            for e in exprs
        ]
        exprs_text = "[]v1.LabelSelectorRequirement{" + ", ".join(items) + "}"
    return GoValue(f"v1.LabelSelector{{MatchLabels:{labels_text}, MatchExpressions:{exprs_text}}}")


def _label_name_errors(key: str, path: str) -> list[FieldError]:
    return [invalid(path, key, msg) for msg in qualified_name_errors(key)]


def _labels_errors(labels: Mapping[str, str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k in sorted(labels):
        errs += _label_name_errors(k, path)
        errs += [invalid(path, labels[k], msg) for msg in label_value_errors(labels[k])]
    return errs


def validate_label_selector(sel: Mapping[str, Any], path: str) -> list[FieldError]:
    """apimachinery's ValidateLabelSelector."""
    errs = _labels_errors(sel.get("matchLabels") or {}, f"{path}.matchLabels")
    for i, expr in enumerate(sel.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator", ""), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{p}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    forbidden(
                        f"{p}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    )
                )
        else:
            errs.append(invalid(f"{p}.operator", op, "not a valid selector operator"))
        errs += _label_name_errors(expr.get("key", ""), f"{p}.key")
        for j, value in enumerate(values):
            errs += [invalid(f"{p}.values[{j}]", value, msg) for msg in label_value_errors(value)]
    return errs


def _template_errors(template: Mapping[str, Any], path: str) -> list[FieldError]:
    """The parts of kube's ValidatePodTemplateSpec users hit most (a subset)."""
    errs = _labels_errors((template.get("metadata") or {}).get("labels") or {}, f"{path}.metadata.labels")
    containers = (template.get("spec") or {}).get("containers") or []
    if not containers:
        errs.append(required(f"{path}.spec.containers"))
    for i, c in enumerate(containers):
        if not isinstance(c, dict):
            continue
        if not c.get("name"):
            errs.append(required(f"{path}.spec.containers[{i}].name"))
        if not c.get("image"):
            errs.append(required(f"{path}.spec.containers[{i}].image"))
    return errs


def _priority_error(strategy: UpdatePriorityStrategy | None) -> str | None:
    if strategy is None:
        return None
    if strategy.weight_priority and strategy.order_priority:
        return "only one of weightPriority and orderPriority can be used"
    for w in strategy.weight_priority or []:
        if w.weight < 0 or w.weight > 100:
            return "weight must be valid number in the range 1-100"
        if not (w.match_selector.get("matchLabels") or w.match_selector.get("matchExpressions")):
            return "selector can not be empty"
        try:
            label_selector_from_dict(w.match_selector)
        except SelectorError as e:
            return f"invalid selector {e}"
    for o in strategy.order_priority or []:
        if not o.ordered_key:
            return "order key can not be empty"
    return None


def _scatter_error(terms: list[ScatterTerm] | None) -> str | None:
    seen: set[tuple[str, str]] = set()
    for term in terms or []:
        if not term.key:
            return "key should not be empty"
        if (term.key, term.value) in seen:
            return f"duplicated key={term.key} value={term.value}"
        seen.add((term.key, term.value))
    return None


def _update_strategy_errors(
    strategy: CloneSetUpdateStrategy, replicas: int, path: str, allow_on_delete: bool = False
) -> list[FieldError]:
    errs: list[FieldError] = []
    if strategy.type not in UPDATE_STRATEGY_TYPES and not (allow_on_delete and strategy.type == ON_DELETE):
        errs.append(
            invalid(
                f"{path}.type",
                strategy.type or "",
                f"must be '{RECREATE}', {IN_PLACE_IF_POSSIBLE} or '{IN_PLACE_ONLY}'",
            )
        )
    partition, err = scaled_value(strategy.partition, replicas, True)
    if err:
        errs.append(
            invalid(
                f"{path}.partition",
                str(strategy.partition),
                f"failed GetScaledValueFromIntOrPercent for partition: {err}",
            )
        )
    errs += _nonnegative(f"{path}.partition", partition)
    if (msg := _priority_error(strategy.priority_strategy)) is not None:
        errs.append(required(f"{path}.priorityStrategy", msg))
    if (msg := _scatter_error(strategy.scatter_strategy)) is not None:
        errs.append(required(f"{path}.scatterStrategy", msg))
    max_unavailable, err = scaled_value(strategy.max_unavailable, replicas, True)
    if err:
        errs.append(
            invalid(
                f"{path}.maxUnavailable",
                str(strategy.max_unavailable),
                f"failed GetScaledValueFromIntOrPercent for maxUnavailable: {err}",
            )
        )
    max_surge, err = scaled_value(strategy.max_surge, replicas, True)
    if strategy.max_surge is not None:
        if err:
            errs.append(
                invalid(
                    f"{path}.maxSurge",
                    str(strategy.max_surge),
                    f"failed GetScaledValueFromIntOrPercent for maxSurge: {err}",
                )
            )
        if strategy.type == IN_PLACE_ONLY and max_surge > 0:
            errs.append(
                invalid(
                    f"{path}.maxSurge",
                    str(strategy.max_surge),
                    "can not use maxSurge with strategy type InPlaceOnly",
                )
            )
    if replicas > 0 and max_unavailable < 1 and max_surge < 1:
        errs.append(
            invalid(
                f"{path}.maxUnavailable",
                go_intstr(strategy.max_unavailable),
                "maxUnavailable and maxSurge should not both be less than 1",
            )
        )
    return errs


def duplicated_items(items: list[str]) -> list[str]:
    """Every repeat occurrence, in order (kruise's util.CheckDuplicate)."""
    seen: set[str] = set()
    dups: list[str] = []
    for item in items:
        if item in seen:
            dups.append(item)
        seen.add(item)
    return dups


def new_pods_to_delete(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[str]:
    """Names in podsToDelete that the webhook must look up (those not already in the old object)."""
    names = ((obj.get("spec") or {}).get("scaleStrategy") or {}).get("podsToDelete") or []
    before = set((((old or {}).get("spec") or {}).get("scaleStrategy") or {}).get("podsToDelete") or [])
    return sorted({n for n in names if isinstance(n, str)} - before)


def _pods_to_delete_errors(
    names: list[str], pods: Mapping[str, Obj | Exception] | None, uid: str | None, path: str
) -> list[FieldError]:
    dups = duplicated_items(names)
    if dups:
        return [invalid(path, go_string_slice(names), f"duplicated items {go_list(dups)}")]
    errs: list[FieldError] = []
    for name in sorted(pods or {}):
        pod = (pods or {})[name]
        if isinstance(pod, Exception):
            errs.append(invalid(path, name, f"find pod {name} failed: {pod}"))
        elif (pod.get("metadata") or {}).get("deletionTimestamp"):
            errs.append(invalid(path, name, f"find pod {name} already terminating"))
        else:
            owner = next(
                (r for r in (pod.get("metadata") or {}).get("ownerReferences") or [] if r.get("controller")),
                None,
            )
            if owner is None or owner.get("uid") != uid:
                errs.append(invalid(path, name, f"find pod {name} owner is not this CloneSet"))
    return errs


def _spec_errors(
    cs: CloneSet,
    raw_spec: Mapping[str, Any],
    pods: Mapping[str, Obj | Exception] | None,
    allow_on_delete: bool = False,
) -> list[FieldError]:
    spec = cs.spec
    errs: list[FieldError] = []
    replicas = spec.replicas if spec.replicas is not None else 1
    errs += _nonnegative("spec.replicas", replicas)
    sel = spec.selector
    errs += validate_label_selector(sel, "spec.selector")
    if not (sel.get("matchLabels") or sel.get("matchExpressions")):
        errs.append(invalid("spec.selector", _go_selector(sel), "empty selector is invalid for cloneset"))
    template = spec.template
    try:
        selector = label_selector_from_dict(sel)
    except SelectorError:
        errs.append(invalid("spec.selector", _go_selector(sel), ""))
    else:
        labels = (template.get("metadata") or {}).get("labels")
        if not selector.empty() and not selector.matches(labels or {}):
            errs.append(
                invalid(
                    "spec.template.metadata.labels",
                    go_string_map(labels),
                    "`selector` does not match template `labels`",
                )
            )
        errs += _template_errors(template, "spec.template")
    pod_spec = template.get("spec") or {}
    restart = pod_spec.get("restartPolicy")
    if restart and restart != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart, ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in cloneset is not Supported",
            )
        )
    scale = spec.scale_strategy or CloneSetScaleStrategy()
    errs += _pods_to_delete_errors(
        scale.pods_to_delete or [], pods, (cs.metadata or {}).get("uid"), "spec.scaleStrategy.podsToDelete"
    )
    errs += _update_strategy_errors(
        spec.update_strategy or CloneSetUpdateStrategy(), replicas, "spec.updateStrategy", allow_on_delete
    )
    deadline = spec.progress_deadline_seconds
    if deadline is not None:
        errs += _nonnegative("spec.progressDeadlineSeconds", deadline)
        if deadline != MAX_INT32 and deadline <= (spec.min_ready_seconds or 0):
            errs.append(
                invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds")
            )
    return errs


def validate_cloneset(
    obj: Mapping[str, Any],
    *,
    pods: Mapping[str, Obj | Exception] | None = None,
    allow_on_delete: bool = False,
) -> list[FieldError]:
    """CREATE validation of a (defaulted) CloneSet.

    `pods` maps the podsToDelete names to look up (see `new_pods_to_delete`) to the Pod read from the
    API or the error the read gave; None skips those existence/ownership checks.
    """
    cs, errs = parse_cloneset(obj)
    if cs is None:
        return errs
    return _spec_errors(cs, obj.get("spec") or {}, pods, allow_on_delete)


MUTABLE_SPEC_FIELDS = (
    "replicas",
    "template",
    "lifecycle",
    "scaleStrategy",
    "updateStrategy",
    "minReadySeconds",
    "progressDeadlineSeconds",
    "volumeClaimTemplates",
    "revisionHistoryLimit",
)
IMMUTABLE_SPEC_MESSAGE = (
    "updates to cloneset spec for fields other than 'replicas', 'template', 'lifecycle', 'scaleStrategy', "
    "'updateStrategy', 'minReadySeconds', 'progressDeadlineSeconds', 'volumeClaimTemplates' and "
    "'revisionHistoryLimit' are forbidden"
)
_IMAGE_PATH = re.compile(r"^/containers/([0-9]+)/image$")


def _semantic(value: Any) -> Any:
    """Go's view after decoding: empty maps/lists and null are the zero value, i.e. absent."""
    if isinstance(value, dict):
        out = {k: _semantic(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [], "", False, 0)}
    if isinstance(value, list):
        return [_semantic(v) for v in value]
    return value


def _patch_ops(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(op, path) of a JSON patch from old to new, diffing lists element by element."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}/{key.replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                yield "remove", sub
            elif key not in old:
                yield "add", sub
            else:
                yield from _patch_ops(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list):
        n = min(len(old), len(new))
        for i in range(len(old) - 1, n - 1, -1):
            yield "remove", f"{path}/{i}"
        for i in range(n, len(new)):
            yield "add", f"{path}/{i}"
        for i in range(n):
            yield from _patch_ops(old[i], new[i], f"{path}/{i}")
    elif old != new:
        yield "replace", path


def in_place_only_error(old_template_spec: Any, new_template_spec: Any) -> str | None:
    """Why an InPlaceOnly CloneSet may not take this template change (None: only images changed)."""
    for op, path in _patch_ops(old_template_spec or {}, new_template_spec or {}):
        if op != "replace" or not _IMAGE_PATH.match(path):
            return f"only allowed to update images in spec for {IN_PLACE_ONLY}, but found {op} {path}"
    return None


def validate_cloneset_update(
    new: Mapping[str, Any],
    old: Mapping[str, Any],
    *,
    pods: Mapping[str, Obj | Exception] | None = None,
    allow_on_delete: bool = False,
) -> list[FieldError]:
    """UPDATE validation: the immutable-spec rule, the InPlaceOnly template rule, then CREATE rules."""
    cs, errs = parse_cloneset(new)
    if cs is None:
        return errs
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    fixed_new = {k: v for k, v in new_spec.items() if k not in MUTABLE_SPEC_FIELDS}
    fixed_old = {k: v for k, v in old_spec.items() if k not in MUTABLE_SPEC_FIELDS}
    if _semantic(fixed_new) != _semantic(fixed_old):
        errs.append(forbidden("spec", IMMUTABLE_SPEC_MESSAGE))
    if (cs.spec.update_strategy or CloneSetUpdateStrategy()).type == IN_PLACE_ONLY:
        msg = in_place_only_error(
            (old_spec.get("template") or {}).get("spec"), (new_spec.get("template") or {}).get("spec")
        )
        if msg:
            errs.append(forbidden("spec", msg))
    return errs + _spec_errors(cs, new_spec, pods, allow_on_delete)
