"""Webhook configurations read from storage, with the admissionregistration/v1 defaults applied.

The API server stores configurations as given (it does not validate them), so every field is read
defensively: a malformed webhook still parses, and the problem surfaces when it is matched or called,
where kube-apiserver's own behaviour for that problem applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kruise.api.selectors import LabelSelector, SelectorError, label_selector_from_dict

Obj = dict[str, Any]

MUTATING_KEY = "admissionregistration.k8s.io/mutatingwebhookconfigurations"
VALIDATING_KEY = "admissionregistration.k8s.io/validatingwebhookconfigurations"

DEFAULT_TIMEOUT = 10
MIN_TIMEOUT, MAX_TIMEOUT = 1, 30
DEFAULT_SERVICE_PORT = 443


@dataclass(frozen=True)
class Rule:
    operations: tuple[str, ...]
    api_groups: tuple[str, ...]
    api_versions: tuple[str, ...]
    resources: tuple[str, ...]
    scope: str = "*"


@dataclass(frozen=True)
class ServiceRef:
    namespace: str
    name: str
    port: int = DEFAULT_SERVICE_PORT
    path: str = ""


@dataclass(frozen=True)
class ClientConfig:
    url: str | None = None
    service: ServiceRef | None = None
    ca_bundle: str = ""  # base64 PEM, as stored in the object


@dataclass(frozen=True)
class Selector:
    """A parsed label selector, or the reason it does not parse (reported only when it matters)."""

    selector: LabelSelector = field(default_factory=LabelSelector)
    error: str = ""


@dataclass(frozen=True)
class Webhook:
    name: str
    configuration: str
    mutating: bool
    rules: tuple[Rule, ...] = ()
    failure_policy: str = "Fail"
    match_policy: str = "Equivalent"
    side_effects: str | None = None
    timeout_seconds: int = DEFAULT_TIMEOUT
    review_versions: tuple[str, ...] = ()
    client: ClientConfig = field(default_factory=ClientConfig)
    namespace_selector: Selector = field(default_factory=Selector)
    object_selector: Selector = field(default_factory=Selector)

    @property
    def ignores_failures(self) -> bool:
        return self.failure_policy == "Ignore"


def parse_configurations(objs: Iterable[Obj], mutating: bool) -> list[Webhook]:
    """Webhooks of all configurations, configurations sorted by name and webhooks in their order."""
    ordered = sorted(objs, key=lambda o: str((o.get("metadata") or {}).get("name", "")))
    return [hook for obj in ordered for hook in parse_configuration(obj, mutating)]


def parse_configuration(obj: Obj, mutating: bool) -> list[Webhook]:
    config_name = str((obj.get("metadata") or {}).get("name", ""))
    return [_webhook(w, config_name, mutating) for w in _dicts(obj.get("webhooks"))]


def _webhook(raw: Obj, config_name: str, mutating: bool) -> Webhook:
    side_effects = raw.get("sideEffects")
    return Webhook(
        name=str(raw.get("name", "")),
        configuration=config_name,
        mutating=mutating,
        rules=tuple(_rule(r) for r in _dicts(raw.get("rules"))),
        failure_policy=str(raw.get("failurePolicy") or "Fail"),
        match_policy=str(raw.get("matchPolicy") or "Equivalent"),
        side_effects=str(side_effects) if side_effects is not None else None,
        timeout_seconds=_timeout(raw.get("timeoutSeconds")),
        review_versions=_strings(raw.get("admissionReviewVersions")),
        client=_client_config(raw.get("clientConfig")),
        namespace_selector=_selector(raw.get("namespaceSelector")),
        object_selector=_selector(raw.get("objectSelector")),
    )


def _rule(raw: Obj) -> Rule:
    return Rule(
        operations=_strings(raw.get("operations")),
        api_groups=_strings(raw.get("apiGroups")),
        api_versions=_strings(raw.get("apiVersions")),
        resources=_strings(raw.get("resources")),
        scope=str(raw.get("scope") or "*"),
    )


def _client_config(raw: Any) -> ClientConfig:
    if not isinstance(raw, dict):
        return ClientConfig()
    service = raw.get("service")
    ref = None
    if isinstance(service, dict):
        port = service.get("port")
        ref = ServiceRef(
            namespace=str(service.get("namespace", "")),
            name=str(service.get("name", "")),
            port=port if isinstance(port, int) and not isinstance(port, bool) else DEFAULT_SERVICE_PORT,
            path=str(service.get("path") or ""),
        )
    url = raw.get("url")
    return ClientConfig(url=str(url) if url else None, service=ref, ca_bundle=str(raw.get("caBundle") or ""))


def _timeout(value: Any) -> int:
    # kube rejects configurations outside 1..30 at write time; this server stores them as given
    if not isinstance(value, int) or isinstance(value, bool):
        return DEFAULT_TIMEOUT
    return min(MAX_TIMEOUT, max(MIN_TIMEOUT, value))


def _selector(raw: Any) -> Selector:
    # v1 defaults an absent selector to {} (everything)
    if raw is None:
        return Selector()
    if not isinstance(raw, dict):
        return Selector(error=f"invalid label selector: {raw!r}")
    try:
        return Selector(label_selector_from_dict(raw))
    except (SelectorError, AttributeError, TypeError) as e:
        return Selector(error=str(e))


def _dicts(value: Any) -> list[Obj]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()
