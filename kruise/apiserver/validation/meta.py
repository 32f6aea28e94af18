"""ObjectMeta validation and the name/label/key format checks every kind shares.

The format checks return kube's message strings (as apimachinery's util/validation does); the
`validate_*` functions wrap them into FieldErrors at the right path, in kube's order.

The same names, keys and values recur in almost every object, so each format check is memoized for
`str` input (`*_msgs` return a cached tuple, empty when valid); the public `is_*` functions return a
fresh list, as before. Other input types take the uncached path and fail exactly as they always did.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import orjson

from kruise.api.selectors import label_value_errors, qualified_name_errors
from kruise.apiserver.errors import FieldError, forbidden, invalid, required

FIELD_IMMUTABLE = "field is immutable"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
# distinct strings remembered per format check; bounded so hostile input cannot grow memory
CHECK_CACHE_SIZE = 8192

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL_RE = re.compile("^" + _DNS1123_LABEL_FMT + "$")
_DNS1123_SUBDOMAIN_RE = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
_DNS1035_LABEL_RE = re.compile("^" + _DNS1035_LABEL_FMT + "$")
_QUALIFIED_NAME_RE = re.compile("^" + _QUALIFIED_NAME_FMT + "$")
_LABEL_VALUE_RE = re.compile("^" + _LABEL_VALUE_FMT + "$")


def max_len_error(n: int) -> str:
    return f"must be no more than {n} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """Kube's RegexError text: the rule, optional examples, then the regex."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i:
            out += " or "
        out += f"'{ex}', "
    return out + f"regex used for validation is '{fmt}')"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def memoized_check(fn: Callable[[str], list[str]]) -> Callable[[Any], Sequence[str]]:
    """A fast twin of the format check `fn`: a cached tuple of its messages for `str` input.

    Anything but an exact `str` goes to `fn` itself, so odd input fails (or passes) as before.
    """
    cached = lru_cache(maxsize=CHECK_CACHE_SIZE)(lambda value: tuple(fn(value)))

    def check(value: Any) -> Sequence[str]:
        if value.__class__ is str:
            return cached(value)
        return fn(value)

    check.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    check.uncached = fn  # type: ignore[attr-defined]
    return check


# Plain JSON types only: anything else (subclasses included) makes orjson raise.
JSON_OPTS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)


def json_key(value: Any) -> bytes | None:
    """Bytes that pin `value` down exactly, as a cache key for checks of a whole sub-object.

    Two values with the same key validate alike: same keys in the same order, same strings, and the
    same types (1, 1.0 and true differ). None when `value` is not plain JSON, or holds a null, since
    NaN and the infinities encode as null too; such values are just never cached. The objects
    validated are decoded JSON. Of the non-JSON types orjson writes like JSON ones, tuples validate
    exactly like the lists they are written as; Enum members and UUIDs (written as their values)
    are assumed not to occur inside objects.
    """
    try:
        key = orjson.dumps(value, option=JSON_OPTS)
    except TypeError:
        return None
    return None if b"null" in key else key


class Memo:
    """Results remembered by key, at most `size` of them (the oldest go first).

    Callers compute a result themselves and `put` it; `get` gives it back (None when unknown). Safe
    to share between threads: a lost or repeated entry only costs a recomputation.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.data: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self.data.get(key)

    def put(self, key: Any, value: Any) -> None:
        data = self.data
        if len(data) >= self.size:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del data[next(iter(data))]
        data[key] = value

    def clear(self) -> None:
        self.data.clear()


_DNS1123_LABEL_MSG = regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character",
    _DNS1123_LABEL_FMT,
    "my-name",
    "123-abc",
)
_DNS1123_SUBDOMAIN_MSG = regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', "
    "and must start and end with an alphanumeric character",
    _DNS1123_SUBDOMAIN_FMT,
    "example.com",
)
_DNS1035_LABEL_MSG = regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character",
    _DNS1035_LABEL_FMT,
    "my-name",
    "abc-123",
)
_LABEL_VALUE_MSG = regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', "
    "and must start and end with an alphanumeric character",
    _LABEL_VALUE_FMT,
    "MyValue",
    "my_value",
    "12345",
)


def _dns1123_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1123_LABEL_RE.match(value):
        if _DNS1123_SUBDOMAIN_RE.match(value):
            # kube adds this hint when the value would be a valid subdomain
            errs.append("must not contain dots")
        else:
            errs.append(_DNS1123_LABEL_MSG)
    return errs


def _dns1123_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errs.append(_DNS1123_SUBDOMAIN_MSG)
    return errs


def _dns1035_label(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_LABEL_RE.match(value):
        errs.append(_DNS1035_LABEL_MSG)
    return errs


dns1123_label_msgs = memoized_check(_dns1123_label)
dns1123_subdomain_msgs = memoized_check(_dns1123_subdomain)
dns1035_label_msgs = memoized_check(_dns1035_label)


def is_dns1123_label(value: str) -> list[str]:
    return list(dns1123_label_msgs(value))


def is_dns1123_subdomain(value: str) -> list[str]:
    return list(dns1123_subdomain_msgs(value))


def is_dns1035_label(value: str) -> list[str]:
    return list(dns1035_label_msgs(value))


def is_path_segment_name(value: str, prefix: bool = False) -> list[str]:
    errs = []
    if not prefix and value in (".", ".."):
        errs.append(f"may not be '{value}'")
    for ch in ("/", "%"):
        if ch in value:
            errs.append(f"may not contain '{ch}'")
    return errs


_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_QUALIFIED_REGEX_ERROR = regex_error(_QUALIFIED_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")


# The same rules selectors check label keys and values with (IsQualifiedName, IsValidLabelValue).
qualified_name_msgs = memoized_check(qualified_name_errors)
label_value_msgs = memoized_check(label_value_errors)


def is_qualified_name(value: str) -> list[str]:
    return list(qualified_name_msgs(value))


def is_valid_label_value(value: str) -> list[str]:
    return list(label_value_msgs(value))


# -- name rules per kind ---------------------------------------------------------------------------

NameFn = Callable[[str, bool], list[str]]


def _mask_trailing_dash(name: str) -> str:
    # generateName prefixes may end in '-' (a random suffix follows)
    return name[:-1] if len(name) > 1 and name.endswith("-") else name


def _subdomain(name: str, prefix: bool) -> list[str]:
    return list(dns1123_subdomain_msgs(_mask_trailing_dash(name) if prefix else name))


def _label(name: str, prefix: bool) -> list[str]:
    return list(dns1123_label_msgs(_mask_trailing_dash(name) if prefix else name))


def _dns1035(name: str, prefix: bool) -> list[str]:
    return list(dns1035_label_msgs(_mask_trailing_dash(name) if prefix else name))


def _path_segment(name: str, prefix: bool) -> list[str]:
    return is_path_segment_name(name, prefix)


NAME_RULES: dict[str, NameFn] = {
    "dns1123-subdomain": _subdomain,
    "dns1123-label": _label,
    "dns1035-label": _dns1035,
    "path-segment": _path_segment,
}

# Kinds whose names are not DNS-1123 subdomains (the default), as kube-apiserver validates them.
_NAME_RULE_BY_RESOURCE: dict[tuple[str, str], str] = {
    ("", "namespaces"): "dns1123-label",
    ("", "services"): "dns1035-label",
    ("rbac.authorization.k8s.io", "roles"): "path-segment",
    ("rbac.authorization.k8s.io", "clusterroles"): "path-segment",
    ("rbac.authorization.k8s.io", "rolebindings"): "path-segment",
    ("rbac.authorization.k8s.io", "clusterrolebindings"): "path-segment",
}


def name_rule_for(group: str, resource: str) -> str:
    """The name format kube-apiserver applies to objects of this resource."""
    return _NAME_RULE_BY_RESOURCE.get((group, resource), "dns1123-subdomain")


# -- ObjectMeta ------------------------------------------------------------------------------------


# label maps (and node selectors) that passed, by their exact JSON: pods of a workload share them
_LABELS_PASSED = Memo(CHECK_CACHE_SIZE)


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    key = json_key(labels) if labels.__class__ is dict else None
    if key is not None and _LABELS_PASSED.get(key):
        return []
    errs = _validate_labels(labels, path)
    if key is not None and not errs:
        _LABELS_PASSED.put(key, True)
    return errs


def _validate_labels(labels: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, v in (labels or {}).items():
        key_msgs = qualified_name_msgs(k)
        if key_msgs:
            errs.extend(invalid(path, k, m) for m in key_msgs)
        value_msgs = label_value_msgs(v if isinstance(v, str) else str(v))
        if value_msgs:
            errs.extend(invalid(path, v, m) for m in value_msgs)
    return errs


def validate_label_name(name: str, path: str) -> list[FieldError]:
    msgs = qualified_name_msgs(name)
    return [invalid(path, name, m) for m in msgs] if msgs else []


@lru_cache(maxsize=CHECK_CACHE_SIZE)
def _annotation_key_msgs(key: str) -> tuple[str, ...]:
    # annotation keys are qualified names, case-insensitively
    return tuple(qualified_name_msgs(key.lower()))


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    size = 0
    for k, v in (annotations or {}).items():
        msgs = _annotation_key_msgs(k) if k.__class__ is str else qualified_name_msgs(k.lower())
        if msgs:
            errs.extend(invalid(path, k, m) for m in msgs)
        size += len(k.encode()) + len((v or "").encode())
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def too_long(path: str, limit: int) -> FieldError:
    unit = "byte" if limit == 1 else "bytes"
    return FieldError("TooLong", path, f"may not be more than {limit} {unit}")


def validate_finalizers(finalizers: Any, path: str) -> list[FieldError]:
    if not finalizers:
        return []
    errs: list[FieldError] = []
    fins = list(finalizers)
    for f in fins:
        msgs = qualified_name_msgs(f)
        if msgs:
            errs.extend(invalid(path, f, m) for m in msgs)
    if "orphan" in fins and "foregroundDeletion" in fins:
        errs.append(invalid(path, fins, "finalizer orphan and foregroundDeletion cannot be both set"))
    return errs


def validate_owner_references(refs: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    first_controller = ""
    for ref in refs or []:
        api_version = ref.get("apiVersion") or ""
        version = api_version.rsplit("/", 1)[-1] if api_version.count("/") <= 1 else ""
        if not version:
            errs.append(invalid(path + ".apiVersion", api_version, "version must not be empty"))
        for key in ("kind", "name", "uid"):
            if not ref.get(key):
                errs.append(invalid(f"{path}.{key}", ref.get(key) or "", "must not be empty"))
        if ref.get("controller") is True:
            current = f"{ref.get('kind', '')}/{ref.get('name', '')}"
            if first_controller:
                errs.append(
                    invalid(
                        path,
                        refs,
                        'Only one reference can have Controller set to true. Found "true" in references for '
                        f"{first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return errs


def validate_object_meta(
    meta: dict, *, namespaced: bool, name_rule: str = "dns1123-subdomain", name_fn: NameFn | None = None
) -> list[FieldError]:
    """ObjectMeta rules on create, in kube's order. `name_fn` overrides `name_rule` (CRDs use it)."""
    fn = name_fn or NAME_RULES[name_rule]
    errs: list[FieldError] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        errs.extend(invalid("metadata.generateName", generate_name, m) for m in fn(generate_name, True))
    name = meta.get("name") or ""
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        msgs = fn(name, False)
        if msgs:
            errs.extend(invalid("metadata.name", name, m) for m in msgs)
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            errs.append(required("metadata.namespace"))
        else:
            msgs = dns1123_label_msgs(namespace)
            if msgs:
                errs.extend(invalid("metadata.namespace", namespace, m) for m in msgs)
    elif namespace:
        errs.append(forbidden("metadata.namespace", "not allowed on this type"))
    generation = meta.get("generation")
    if isinstance(generation, int) and generation < 0:
        errs.append(invalid("metadata.generation", generation, "must be greater than or equal to 0"))
    labels = meta.get("labels")
    if labels:
        errs.extend(validate_labels(labels, "metadata.labels"))
    annotations = meta.get("annotations")
    if annotations:
        errs.extend(validate_annotations(annotations, "metadata.annotations"))
    refs = meta.get("ownerReferences")
    if refs:
        errs.extend(validate_owner_references(refs, "metadata.ownerReferences"))
    finalizers = meta.get("finalizers")
    if finalizers:
        errs.extend(validate_finalizers(finalizers, "metadata.finalizers"))
    return errs


def immutable(new: Any, old: Any, path: str, message: str = FIELD_IMMUTABLE) -> list[FieldError]:
    return [] if new == old else [invalid(path, new, message)]


def _go_string_slice(values: list[str]) -> str:
    # kube formats this list with Go's %#v
    return "[]string{" + ", ".join(orjson.dumps(v).decode() for v in values) + "}"


def validate_object_meta_update(new: dict, old: dict) -> list[FieldError]:
    """ObjectMeta rules on update (kube's ValidateObjectMetaUpdate)."""
    errs: list[FieldError] = []
    if old.get("deletionTimestamp"):
        old_fins = set(old.get("finalizers") or [])
        extra = sorted(set(new.get("finalizers") or []) - old_fins)
        if extra:
            errs.append(
                forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + _go_string_slice(extra),
                )
            )
    # resourceVersion, creationTimestamp, a missing uid and a set deletionTimestamp/GracePeriod are
    # copied from the stored object before validation (kube's rest.BeforeUpdate), so clients never
    # see errors for them; only real changes are reported here.
    if new.get("generation") is not None and new["generation"] < (old.get("generation") or 0):
        errs.append(invalid("metadata.generation", new["generation"], "must not be decremented"))
    errs.extend(immutable(new.get("name") or "", old.get("name") or "", "metadata.name"))
    errs.extend(immutable(new.get("namespace") or "", old.get("namespace") or "", "metadata.namespace"))
    if new.get("uid"):
        errs.extend(immutable(new["uid"], old.get("uid") or "", "metadata.uid"))
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds"):
        if old.get(key) is None:
            errs.extend(immutable(new.get(key), None, f"metadata.{key}"))
    errs.extend(validate_labels(new.get("labels"), "metadata.labels"))
    errs.extend(validate_annotations(new.get("annotations"), "metadata.annotations"))
    errs.extend(validate_owner_references(new.get("ownerReferences"), "metadata.ownerReferences"))
    return errs
