"""CustomResourceDefinition (apiextensions.k8s.io/v1) validation with kube's paths and messages.

Paths follow kube's internal field names, which is why printer columns report `JSONPath`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from kruise.apiserver.errors import FieldError, forbidden, invalid, not_supported, required
from kruise.apiserver.validation.meta import (
    immutable,
    is_dns1035_label,
    is_dns1123_subdomain,
)

_PRINTER_TYPES = ["boolean", "date", "integer", "number", "string"]
_PRINTER_FORMATS = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"]
_APPROVAL_ANNOTATION = "api-approved.kubernetes.io"


def _validate_names(names: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("plural", "singular"):
        value = names.get(key) or ""
        msgs = is_dns1035_label(value)
        if value and msgs:
            errs.append(invalid(f"{path}.{key}", value, ",".join(msgs)))
    for key in ("kind", "listKind"):
        value = names.get(key) or ""
        msgs = is_dns1035_label(value.lower())
        if value and msgs:
            errs.append(
                invalid(
                    f"{path}.{key}",
                    value,
                    "may have mixed case, but should otherwise match: " + ",".join(msgs),
                )
            )
    for key in ("shortNames", "categories"):
        for i, value in enumerate(names.get(key) or []):
            msgs = is_dns1035_label(value)
            if msgs:
                errs.append(invalid(f"{path}.{key}[{i}]", value, ",".join(msgs)))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        errs.append(invalid(f"{path}.listKind", names["listKind"], "kind and listKind may not be the same"))
    return errs


def _simple_json_path(value: str, path: str) -> list[FieldError]:
    if not value:
        return [invalid(path, value, "must not be empty")]
    if not value.startswith("."):
        return [invalid(path, value, "must be a simple json path starting with .")]
    return []


def _validate_scale(scale: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for key, prefix in (("specReplicasPath", ".spec."), ("statusReplicasPath", ".status.")):
        value = scale.get(key) or ""
        p = f"{path}.{key}"
        if not value:
            errs.append(required(p))
            continue
        perrs = _simple_json_path(value, p)
        if perrs:
            errs.extend(perrs)
        elif not value.startswith(prefix):
            errs.append(invalid(p, value, f"should be a json path under {prefix[:-1]}"))
    selector = scale.get("labelSelectorPath") or ""
    if selector:
        p = f"{path}.labelSelectorPath"
        perrs = _simple_json_path(selector, p)
        if perrs:
            errs.extend(perrs)
        elif not selector.startswith((".spec.", ".status.")):
            errs.append(invalid(p, selector, "should be a json path under either .spec or .status"))
    return errs


def _validate_column(col: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not col.get("name"):
        errs.append(required(path + ".name"))
    ctype = col.get("type") or ""
    types = "must be one of " + ",".join(_PRINTER_TYPES)
    if not ctype:
        errs.append(required(path + ".type", types))
    elif ctype not in _PRINTER_TYPES:
        errs.append(invalid(path + ".type", ctype, types))
    fmt = col.get("format") or ""
    if fmt and fmt not in _PRINTER_FORMATS:
        errs.append(invalid(path + ".format", fmt, "must be one of " + ",".join(_PRINTER_FORMATS)))
    json_path = col.get("jsonPath") or ""
    if not json_path:
        errs.append(required(path + ".JSONPath"))
    else:
        errs.extend(_simple_json_path(json_path, path + ".JSONPath"))
    return errs


def _validate_schema(schema: dict, path: str) -> list[FieldError]:
    # the structural-schema root rules kube reports most often
    root = path + ".openAPIV3Schema"
    body = schema.get("openAPIV3Schema")
    if body is None:
        return [required(root, "schemas are required")]
    rtype = body.get("type") or ""
    if not rtype:
        return [required(root + ".type", "must not be empty at the root")]
    if rtype != "object":
        return [invalid(root + ".type", rtype, "must be object at the root")]
    return []


def _validate_versions(versions: list[dict]) -> list[FieldError]:
    errs: list[FieldError] = []
    if not versions:
        errs.append(required("spec.versions", "must have at least one version"))
    seen: set[str] = set()
    unique = True
    storage = 0
    for i, ver in enumerate(versions):
        p = f"spec.versions[{i}]"
        name = ver.get("name") or ""
        storage += 1 if ver.get("storage") else 0
        if name in seen:
            unique = False
        seen.add(name)
        msgs = is_dns1035_label(name)
        if msgs:
            errs.append(invalid(p + ".name", name, ",".join(msgs)))
        errs.extend(_validate_schema(ver.get("schema") or {}, p + ".schema"))
        scale = (ver.get("subresources") or {}).get("scale")
        if scale is not None:
            errs.extend(_validate_scale(scale, p + ".subresources.scale"))
        for j, col in enumerate(ver.get("additionalPrinterColumns") or []):
            errs.extend(_validate_column(col, f"{p}.additionalPrinterColumns[{j}]"))
    if storage != 1:
        errs.append(
            invalid("spec.versions", versions, "must have exactly one version marked as storage version")
        )
    if not unique:
        errs.append(invalid("spec.versions", versions, "must contain unique version names"))
    return errs


_REVIEW_VERSIONS = ("v1", "v1beta1")  # ConversionReview versions this server speaks


def validate_conversion(conversion: Any) -> list[FieldError]:
    """spec.conversion. Paths use kube's internal names (webhookClientConfig, conversionReviewVersions),
    as its messages do; an absent strategy defaults to None."""
    if not isinstance(conversion, dict):
        return []
    path = "spec.conversion"
    strategy = conversion.get("strategy") or "None"
    if strategy not in ("None", "Webhook"):
        return [not_supported(f"{path}.strategy", strategy, ["None", "Webhook"])]
    webhook = conversion.get("webhook") or {}
    client = webhook.get("clientConfig") if isinstance(webhook, dict) else None
    versions = webhook.get("conversionReviewVersions") if isinstance(webhook, dict) else None
    errs: list[FieldError] = []
    if strategy != "Webhook":
        reason = "should not be set when strategy is not set to Webhook"
        if client is not None:
            errs.append(forbidden(f"{path}.webhookClientConfig", reason))
        if versions:
            errs.append(forbidden(f"{path}.conversionReviewVersions", reason))
        return errs
    if not isinstance(client, dict):
        errs.append(required(f"{path}.webhookClientConfig", "required when strategy is set to Webhook"))
    else:
        errs.extend(_validate_client_config(client, f"{path}.webhookClientConfig"))
    errs.extend(_validate_review_versions(versions or [], f"{path}.conversionReviewVersions"))
    return errs


def _validate_client_config(client: dict, path: str) -> list[FieldError]:
    url, service = client.get("url"), client.get("service")
    if (url is None) == (service is None):
        return [required(path, "exactly one of url or service is required")]
    if url is not None:
        return _validate_url(str(url), f"{path}.url")
    if not isinstance(service, dict):
        return [invalid(f"{path}.service", service, "must be an object")]
    errs: list[FieldError] = []
    if not service.get("name"):
        errs.append(required(f"{path}.service.name", "service name is required"))
    if not service.get("namespace"):
        errs.append(required(f"{path}.service.namespace", "service namespace is required"))
    port = service.get("port", 443)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        errs.append(
            invalid(f"{path}.service.port", port, "port is not valid: must be between 1 and 65535, inclusive")
        )
    svc_path = service.get("path")
    if svc_path is not None:
        svc_path = str(svc_path)
        if not svc_path.startswith("/"):
            errs.append(invalid(f"{path}.service.path", svc_path, "must start with a '/'"))
        elif len(svc_path) > 1 and any(not seg for seg in svc_path[1:].split("/")):
            errs.append(invalid(f"{path}.service.path", svc_path, "segment[s] must not be empty"))
    return errs


def _validate_url(url: str, path: str) -> list[FieldError]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError as e:
        return [invalid(path, url, f"url must be a valid URL: {e}")]
    errs: list[FieldError] = []
    if parts.scheme != "https":
        errs.append(invalid(path, parts.scheme, "'https' is the only allowed URL scheme"))
    if not parts.hostname:
        errs.append(invalid(path, parts.netloc, "host must be specified"))
    if "@" in parts.netloc:
        errs.append(
            invalid(path, parts.netloc.rsplit("@", 1)[0], "user information is not permitted in the URL")
        )
    if parts.fragment or url.endswith("#"):
        errs.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query or "?" in url:
        errs.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return errs


def _validate_review_versions(versions: list, path: str) -> list[FieldError]:
    if not versions:
        return [required(path)]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, version in enumerate(versions):
        if version in seen:
            errs.append(invalid(f"{path}[{i}]", version, "duplicate version"))
            continue
        seen.add(version)
        for msg in is_dns1035_label(str(version)):
            errs.append(invalid(f"{path}[{i}]", version, msg))
    if not any(v in _REVIEW_VERSIONS for v in versions):
        errs.append(invalid(path, versions, "must include at least one of " + ", ".join(_REVIEW_VERSIONS)))
    return errs


def _protected_group(group: str) -> bool:
    return group in ("k8s.io", "kubernetes.io") or group.endswith((".k8s.io", ".kubernetes.io"))


def _validate_spec(crd: dict) -> list[FieldError]:
    spec = crd.get("spec") or {}
    errs: list[FieldError] = []
    group = spec.get("group") or ""
    if not group:
        errs.append(required("spec.group"))
    elif is_dns1123_subdomain(group):
        errs.append(invalid("spec.group", group, ",".join(is_dns1123_subdomain(group))))
    elif "." not in group:
        errs.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    scope = spec.get("scope") or ""
    if not scope:
        errs.append(required("spec.scope"))
    elif scope not in ("Cluster", "Namespaced"):
        errs.append(not_supported("spec.scope", scope, ["Cluster", "Namespaced"]))
    errs.extend(_validate_versions(spec.get("versions") or []))
    names = spec.get("names") or {}
    # singular and listKind default from kind, so only plural and kind are truly required
    for key in ("plural", "kind"):
        if not names.get(key):
            errs.append(required(f"spec.names.{key}"))
    errs.extend(_validate_names(names, "spec.names"))
    errs.extend(validate_conversion(spec.get("conversion")))
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    if _protected_group(group) and not annotations.get(_APPROVAL_ANNOTATION):
        errs.append(
            required(
                f"metadata.annotations[{_APPROVAL_ANNOTATION}]",
                f'protected groups must have approval annotation "{_APPROVAL_ANNOTATION}", '
                "see https://github.com/kubernetes/enhancements/pull/1111",
            )
        )
    return errs


def validate_crd(crd: dict) -> list[FieldError]:
    """CRD rules on create and update; generic metadata rules are validate_object_meta's."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = (crd.get("metadata") or {}).get("name") or ""
    errs: list[FieldError] = []
    if name and name != f"{names.get('plural') or ''}.{spec.get('group') or ''}":
        errs.append(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    return errs + _validate_spec(crd)


def _established(crd: dict) -> bool:
    return any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or []
    )


def validate_crd_update(new: dict, old: dict) -> list[FieldError]:
    """Update-only rules (run validate_crd(new) too): group/plural immutable, scope/kind once established."""
    errs: list[FieldError] = []
    nspec, ospec = new.get("spec") or {}, old.get("spec") or {}
    nnames, onames = nspec.get("names") or {}, ospec.get("names") or {}
    if _established(old):
        errs.extend(immutable(nspec.get("scope") or "", ospec.get("scope") or "", "spec.scope"))
        errs.extend(immutable(nnames.get("kind") or "", onames.get("kind") or "", "spec.names.kind"))
    errs.extend(immutable(nspec.get("group") or "", ospec.get("group") or "", "spec.group"))
    errs.extend(immutable(nnames.get("plural") or "", onames.get("plural") or "", "spec.names.plural"))
    stored = (new.get("status") or {}).get("storedVersions") or []
    served = {v.get("name") for v in nspec.get("versions") or []}
    for i, name in enumerate(stored):
        if name not in served:
            errs.append(invalid(f"status.storedVersions[{i}]", name, "must appear in spec.versions"))
    return errs
