"""CRD structural schemas (apiextensions.k8s.io/v1 openAPIV3Schema): validate, default, prune.

Behaviour follows kube-apiserver for custom resources: value validation as kube-openapi does it,
its errors converted to field errors the way apiextensions-apiserver converts them (so a 422 reads
exactly like a real cluster's), list-type set/map uniqueness, defaulting and pruning.

Schemas are plain dicts as they appear in a CRD. Objects are JSON-shaped Python values.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as _dt
import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any

from kruise.api.objects import json_kind
from kruise.apiserver.errors import FieldError, go_float

__all__ = ["apply_defaults", "check_structural", "go_float", "prune", "validate"]

_IN = "body"
# Field path upstream uses for errors that are not tied to a field (anyOf/oneOf/allOf/not): a nil
# field.Path, which prints as "<nil>".
_NIL_PATH = "<nil>"


# --------------------------------------------------------------------------------------------
# Go value formatting (the messages embed values printed by Go's fmt)


def _go_num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    return str(v)


def _go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Helpers


def _types(schema: dict) -> list[str]:
    if schema.get("x-kubernetes-int-or-string"):
        return ["integer", "string"]
    t = schema.get("type")
    if not t:
        return []
    return [t] if isinstance(t, str) else list(t)


def _is_json_integer(f: float) -> bool:
    if f != f or f in (float("inf"), float("-inf")):
        return False
    if f == int(f):
        return True
    g = round(f)
    return abs(f - g) / max(abs(f) + abs(g), 1e-300) < 1e-9


def _child(path: str, name: str) -> str:
    # kube-openapi joins with "." even at the root; apiextensions trims the leading dot.
    return f"{path}.{name}" if path else name


def _json_equal(a: Any, b: Any) -> bool:
    """Deep equality where bool is never a number but 1 == 1.0 (Go converts numbers for enum)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_regex_cache: dict[str, re.Pattern[str] | str] = {}


def _compile(pattern: str) -> re.Pattern[str] | str:
    """Compiled regex, or the compile error text. ECMA/RE2 patterns mostly mean the same in re."""
    hit = _regex_cache.get(pattern)
    if hit is None:
        try:
            hit = re.compile(pattern)
        except re.error as e:
            hit = f"error parsing regexp: {e}"
        if len(_regex_cache) < 4096:
            _regex_cache[pattern] = hit
    return hit


# --------------------------------------------------------------------------------------------
# Formats (the cheap subset of kube-openapi's registry; unknown formats are ignored like upstream)

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_HOSTNAME = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")


def _valid_date_time(s: str) -> bool:
    if not _DATE_TIME.match(s):
        return False
    try:
        _dt.datetime.fromisoformat(s.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def _valid_date(s: str) -> bool:
    try:
        _dt.date.fromisoformat(s)
    except ValueError:
        return False
    return len(s) == 10


def _valid_byte(s: str) -> bool:
    try:
        base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _valid_uuid(s: str, version: int | None = None) -> bool:
    if not re.fullmatch(
        r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}", s
    ):
        return False
    return version is None or uuid.UUID(s).version == version


def _valid_ip(s: str, version: int) -> bool:
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        return False
    return addr.version == version


def _valid_cidr(s: str) -> bool:
    try:
        ipaddress.ip_network(s, strict=False)
    except ValueError:
        return False
    return "/" in s


_FORMATS: dict[str, Callable[[str], bool]] = {
    "datetime": _valid_date_time,
    "date": _valid_date,
    "byte": _valid_byte,
    "uuid": _valid_uuid,
    "uuid3": lambda s: _valid_uuid(s, 3),
    "uuid4": lambda s: _valid_uuid(s, 4),
    "uuid5": lambda s: _valid_uuid(s, 5),
    "ipv4": lambda s: _valid_ip(s, 4),
    "ipv6": lambda s: _valid_ip(s, 6),
    "cidr": _valid_cidr,
    "mac": lambda s: bool(_MAC.match(s)),
    "hostname": lambda s: len(s) <= 255 and bool(_HOSTNAME.match(s)),
}


def _format_checker(fmt: str) -> Callable[[str], bool] | None:
    # The registry normalises names: "date-time" and "datetime" are one format.
    return _FORMATS.get(fmt.replace("-", "").replace("_", "").lower())


# --------------------------------------------------------------------------------------------
# Validation (kube-openapi SchemaValidator semantics)


class _Validator:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def field(self, name: str) -> str:
        # apiextensions: fldPath.Child(strings.TrimPrefix(err.Name, "."))
        if name.startswith("."):
            name = name[1:]
        if not name:
            return self.prefix or _NIL_PATH
        return f"{self.prefix}.{name}" if self.prefix else name

    def nil_field(self) -> str:
        return self.prefix or _NIL_PATH

    # -- individual checks --------------------------------------------------------------------

    def type_invalid(self, path: str, type_name: str, value: Any) -> FieldError:
        if isinstance(value, str):
            msg = f"{path} in {_IN} must be of type {type_name}: {_go_quote(value)}"
        else:
            msg = f"{path} in {_IN} must be of type {type_name}"
        return FieldError("TypeInvalid", self.field(path), msg, "" if value is None else value)

    def invalid(self, path: str, value: Any, msg: str) -> FieldError:
        return FieldError("Invalid", self.field(path), msg, "" if value is None else value)

    def check_type(self, schema: dict, data: Any, path: str) -> list[FieldError]:
        types = _types(schema)
        fmt = schema.get("format", "") or ""
        if not types and not fmt:
            return []
        kind = json_kind(data)
        if data is None:
            if types and "null" not in types and not schema.get("nullable"):
                return [self.type_invalid(path, ",".join(types), "null")]
            return []
        data_fmt = ""
        if kind == "integer":
            data_fmt = "int64"
        elif kind == "number":
            data_fmt = "float64"
        float_int = kind == "number" and _is_json_integer(data) and "integer" in types
        int_float = kind == "integer" and "number" in types
        if (
            kind not in ("string", "array")
            and fmt
            and not (
                kind in types
                or fmt == data_fmt
                or float_int
                or int_float
                or (fmt == "int64" and data_fmt == "int32")
            )
        ):
            return [self.type_invalid(path, fmt, data_fmt)]
        if "number" not in types and "integer" not in types and fmt and kind in ("string", "array"):
            return []
        if types and not (kind in types or float_int or int_float):
            return [self.type_invalid(path, ",".join(types), kind)]
        return []

    def check_string(self, schema: dict, data: str, path: str) -> list[FieldError]:
        errs: list[FieldError] = []
        n = len(data)  # rune count
        if "maxLength" in schema and n > schema["maxLength"]:
            # apiextensions turns TooLong into field.TooLongMaxLength
            errs.append(
                FieldError("TooLong", self.field(path), f"may not be longer than {schema['maxLength']}", data)
            )
        if "minLength" in schema and n < schema["minLength"]:
            errs.append(
                self.invalid(
                    path, data, f"{path} in {_IN} should be at least {schema['minLength']} chars long"
                )
            )
        pattern = schema.get("pattern")
        if pattern:
            rx = _compile(pattern)
            if isinstance(rx, str):
                errs.append(
                    self.invalid(
                        path, data, f"{path} in {_IN} should match '{pattern}, but pattern is invalid: {rx}'"
                    )
                )
            elif not rx.search(data):
                errs.append(self.invalid(path, data, f"{path} in {_IN} should match '{pattern}'"))
        return errs

    def check_format(self, schema: dict, data: str, path: str) -> list[FieldError]:
        fmt = schema.get("format")
        if not fmt:
            return []
        checker = _format_checker(fmt)
        if checker is None or checker(data):
            return []
        return [self.type_invalid(path, fmt, data)]

    def check_number(self, schema: dict, data: int | float, path: str) -> list[FieldError]:
        errs: list[FieldError] = []
        is_int = isinstance(data, int)
        mult = schema.get("multipleOf")
        if mult is not None:
            if mult < 0:
                errs.append(
                    self.invalid(
                        path,
                        mult,
                        f"factor MultipleOf declared for {path} must be positive: {_go_num(float(mult))}",
                    )
                )
            elif is_int and int(mult) != 0:
                if data % int(mult) != 0:
                    errs.append(
                        self.invalid(path, data, f"{path} in {_IN} should be a multiple of {int(mult)}")
                    )
            elif mult != 0:
                f = float(mult)
                m = (1 / f * data) if f < 1 else (data / f)
                if not _is_json_integer(m):
                    errs.append(
                        self.invalid(path, data, f"{path} in {_IN} should be a multiple of {go_float(f)}")
                    )
        for key, excl_key, cmp_word in (
            ("maximum", "exclusiveMaximum", "less"),
            ("minimum", "exclusiveMinimum", "greater"),
        ):
            if key not in schema or schema[key] is None:
                continue
            limit = schema[key]
            excl = bool(schema.get(excl_key))
            # ints compare against the limit truncated to int64, as kube-openapi does
            lim: int | float = int(limit) if is_int else float(limit)
            if key == "maximum":
                bad = data >= lim if excl else data > lim
            else:
                bad = data <= lim if excl else data < lim
            if bad:
                op = f"should be {cmp_word} than" if excl else f"should be {cmp_word} than or equal to"
                errs.append(self.invalid(path, data, f"{path} in {_IN} {op} {_go_num(lim)}"))
        return errs

    def check_array(self, schema: dict, data: list, path: str) -> list[FieldError]:
        errs: list[FieldError] = []
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(data):
                errs.extend(self.validate(item, items, f"{path}[{i}]"))
        elif isinstance(items, list):
            for i, sub in enumerate(items[: len(data)]):
                errs.extend(self.validate(data[i], sub, f"{path}[{i}]"))
        size = len(data)
        if "minItems" in schema and size < schema["minItems"]:
            errs.append(
                self.invalid(path, size, f"{path} in {_IN} should have at least {schema['minItems']} items")
            )
        if "maxItems" in schema and size > schema["maxItems"]:
            errs.append(
                FieldError("TooMany", self.field(path), f"must have at most {schema['maxItems']} items", size)
            )
        if schema.get("uniqueItems"):
            seen: list[Any] = []
            for v in data:
                if any(_json_equal(v, u) for u in seen):
                    errs.append(self.invalid(path, "", f"{path} in {_IN} shouldn't contain duplicates"))
                    break
                seen.append(v)
        return errs

    def check_enum(self, schema: dict, data: Any, path: str) -> list[FieldError]:
        enum = schema.get("enum")
        if not enum:
            return []
        if any(_json_equal(data, e) for e in enum):
            return []
        values = [e if isinstance(e, str) else _json_text(e) for e in enum]
        detail = "supported values: " + ", ".join(_go_quote(v) for v in values)
        return [FieldError("NotSupported", self.field(path), detail, "" if data is None else data)]

    def check_object(self, schema: dict, data: dict, path: str) -> list[FieldError]:
        n = len(data)
        if "minProperties" in schema and n < schema["minProperties"]:
            return [
                self.invalid(
                    path, n, f"{path} in {_IN} should have at least {schema['minProperties']} properties"
                )
            ]
        if "maxProperties" in schema and n > schema["maxProperties"]:
            return [
                FieldError(
                    "TooMany", self.field(path), f"must have at most {schema['maxProperties']} items", n
                )
            ]
        errs: list[FieldError] = []
        props: dict = schema.get("properties") or {}
        addl = schema.get("additionalProperties")
        if addl is False:
            for k in data:
                if k not in props:
                    errs.append(self.invalid(path, k, f"{path}.{k} in {_IN} is a forbidden property"))
        elif isinstance(addl, dict):
            for k, v in data.items():
                if k not in props:
                    errs.extend(self.validate(v, addl, f"{path}.{k}"))
        for k, sub in props.items():
            if k in data:
                errs.extend(self.validate(data[k], sub, _child(path, k)))
        for k in schema.get("required") or []:
            if k not in data:
                errs.append(FieldError("Required", self.field(f"{path}.{k}")))
        return errs

    def check_composition(self, schema: dict, data: Any, path: str) -> list[FieldError]:
        errs: list[FieldError] = []
        any_of = schema.get("anyOf")
        if any_of:
            results = [self.validate(data, s, path) for s in any_of]
            if not any(not r for r in results):
                errs.append(
                    FieldError(
                        "Invalid",
                        self.nil_field(),
                        f"{_go_quote(path)} must validate at least one schema (anyOf)",
                        "",
                    )
                )
                errs.extend(min(results, key=len))
        one_of = schema.get("oneOf")
        if one_of:
            results = [self.validate(data, s, path) for s in one_of]
            valid = sum(1 for r in results if not r)
            if valid != 1:
                extra = "Found none valid" if valid == 0 else f"Found {valid} valid alternatives"
                errs.append(
                    FieldError(
                        "Invalid",
                        self.nil_field(),
                        f"{_go_quote(path)} must validate one and only one schema (oneOf). {extra}",
                        "",
                    )
                )
                if valid == 0:
                    errs.extend(min(results, key=len))
        all_of = schema.get("allOf")
        if all_of:
            results = [self.validate(data, s, path) for s in all_of]
            valid = sum(1 for r in results if not r)
            for r in results:
                errs.extend(r)
            if valid != len(all_of):
                extra = ". None validated" if valid == 0 else ""
                errs.append(
                    FieldError(
                        "Invalid",
                        self.nil_field(),
                        f"{_go_quote(path)} must validate all the schemas (allOf){extra}",
                        "",
                    )
                )
        not_schema = schema.get("not")
        if isinstance(not_schema, dict) and not self.validate(data, not_schema, path):
            errs.append(
                FieldError(
                    "Invalid", self.nil_field(), f"{_go_quote(path)} must not validate the schema (not)", ""
                )
            )
        return errs

    # -- driver -------------------------------------------------------------------------------

    def validate(self, data: Any, schema: dict, path: str) -> list[FieldError]:
        if not isinstance(schema, dict):
            return []
        if data is None:
            # upstream only runs the type and enum validators on null
            return self.check_type(schema, data, path) + self.check_enum(schema, data, path)
        errs = self.check_type(schema, data, path)
        errs += self.check_composition(schema, data, path)
        kind = json_kind(data)
        if kind == "string":
            errs += self.check_string(schema, data, path)
            errs += self.check_format(schema, data, path)
        elif kind in ("integer", "number"):
            errs += self.check_number(schema, data, path)
        elif kind == "array":
            errs += self.check_array(schema, data, path)
        errs += self.check_enum(schema, data, path)
        if kind == "object":
            errs += self.check_object(schema, data, path)
        return errs


def _json_text(v: Any) -> str:
    import orjson

    return orjson.dumps(v).decode()


def _list_field(prefix: str, rel: str) -> str:
    if not prefix:
        return rel
    if not rel:
        return prefix
    return prefix + rel if rel.startswith("[") else f"{prefix}.{rel}"


def _list_errors(data: Any, schema: dict, rel: str, prefix: str) -> list[FieldError]:
    """x-kubernetes-list-type set/map uniqueness, walking properties/additionalProperties/items."""
    if not isinstance(schema, dict):
        return []
    errs: list[FieldError] = []
    if isinstance(data, dict):
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for k, v in data.items():
                errs += _list_errors(v, addl, f"{rel}[{k}]", prefix)
        props = schema.get("properties") or {}
        for k, v in data.items():
            if k in props:
                errs += _list_errors(v, props[k], f"{rel}.{k}" if rel else k, prefix)
    elif isinstance(data, list):
        lt = schema.get("x-kubernetes-list-type")
        if lt == "set":
            for i in _non_unique([_uniq_key(x) for x in data]):
                errs.append(FieldError("Duplicate", _list_field(prefix, f"{rel}[{i}]"), "", data[i]))
        elif lt == "map":
            errs += _list_map_errors(data, schema.get("x-kubernetes-list-map-keys") or [], rel, prefix)
        items = schema.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(data):
                errs += _list_errors(v, items, f"{rel}[{i}]", prefix)
    return errs


def _uniq_key(x: Any) -> Any:
    # Go keeps int64, float64 and bool apart as map keys; compounds compare by their JSON text.
    if isinstance(x, dict | list):
        return ("json", _json_text(x))
    return (type(x).__name__, x)


def _non_unique(keys: list[Any]) -> list[int]:
    """Index of the second occurrence of each duplicated key, in order (as upstream reports)."""
    seen: dict[Any, int] = {}
    out: list[int] = []
    for i, k in enumerate(keys):
        seen[k] = seen.get(k, 0) + 1
        if seen[k] == 2:
            out.append(i)
    return out


def _list_map_errors(data: list, key_fields: list[str], rel: str, prefix: str) -> list[FieldError]:
    for i, x in enumerate(data):
        if x is not None and not isinstance(x, dict):
            return [
                FieldError(
                    "Invalid",
                    _list_field(prefix, f"{rel}[{i}]"),
                    "must be an object for an array of list-type map",
                    x,
                )
            ]
    if len(data) <= 1:
        return []
    keys: list[dict] = []
    for x in data:
        x = x or {}
        keys.append({k: x[k] for k in key_fields if k in x})
    return [
        FieldError("Duplicate", _list_field(prefix, f"{rel}[{i}]"), "", keys[i])
        for i in _non_unique([_uniq_key(k) for k in keys])
    ]


def validate(obj: Any, schema: dict, path: str = "") -> list[FieldError]:
    """Every way `obj` fails `schema`, as kube-apiserver reports it for a custom resource.

    `path` prefixes every field path (empty for a whole object). Errors come in upstream's
    validator order per node (type, anyOf/oneOf/allOf/not, string/number/array checks, enum,
    object), then list-type set/map duplicates.
    """
    errs = _Validator(path).validate(obj, schema, "")
    errs += _list_errors(obj, schema, "", path)
    return errs


# --------------------------------------------------------------------------------------------
# Defaulting (structural defaulting: also replaces non-nullable nulls, then drops the rest)


def _is_non_nullable_null(v: Any, schema: Any) -> bool:
    return v is None and isinstance(schema, dict) and not schema.get("nullable")


def apply_defaults(obj: Any, schema: dict) -> Any:
    """Apply schema `default`s in place, recursively (defaults inside defaults too); returns obj.

    As kube-apiserver: a missing field, or a null in a non-nullable field, takes its default;
    afterwards a null left in a non-nullable field with no default is dropped.
    """
    _default(obj, schema)
    _prune_nulls(obj, schema)
    return obj


def _default(x: Any, s: Any) -> None:
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props: dict = s.get("properties") or {}
        for k, prop in props.items():
            if not isinstance(prop, dict) or "default" not in prop or prop["default"] is None:
                continue
            if k not in x or _is_non_nullable_null(x[k], prop):
                x[k] = copy.deepcopy(prop["default"])
        addl = s.get("additionalProperties")
        for k, v in list(x.items()):
            if k in props:
                _default(v, props[k])
            elif isinstance(addl, dict):
                if _is_non_nullable_null(v, addl) and addl.get("default") is not None:
                    x[k] = v = copy.deepcopy(addl["default"])
                _default(v, addl)
    elif isinstance(x, list):
        items = s.get("items")
        if not isinstance(items, dict):
            return
        for i, v in enumerate(x):
            if _is_non_nullable_null(v, items) and items.get("default") is not None:
                x[i] = v = copy.deepcopy(items["default"])
            _default(v, items)


def _prune_nulls(x: Any, s: Any) -> None:
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props: dict = s.get("properties") or {}
        addl = s.get("additionalProperties")
        for k in list(x):
            sub = props.get(k) if k in props else (addl if isinstance(addl, dict) else None)
            if sub is None:
                continue
            if x[k] is None and not sub.get("nullable") and sub.get("default") is None:
                del x[k]
            else:
                _prune_nulls(x[k], sub)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for v in x:
            _prune_nulls(v, s["items"])


# --------------------------------------------------------------------------------------------
# Pruning


_META_FIELDS = ("apiVersion", "kind", "metadata")


def prune(obj: Any, schema: dict) -> list[str]:
    """Drop fields the schema does not know, in place; return the pruned paths.

    Honours x-kubernetes-preserve-unknown-fields (keeps unknown fields at that level, still prunes
    inside known ones) and x-kubernetes-embedded-resource (apiVersion/kind/metadata kept). The
    root is a resource, so its apiVersion/kind/metadata are always kept. Paths read like
    "spec.foo" and "spec.items[0].bar".
    """
    pruned: list[str] = []
    root = dict(schema or {})
    root["x-kubernetes-embedded-resource"] = True
    _prune(obj, root, "", pruned)
    return pruned


def _is_meta(k: str, v: Any) -> bool:
    # apiVersion/kind survive as strings, metadata as an object (ObjectMeta is handled elsewhere)
    if k in ("apiVersion", "kind"):
        return isinstance(v, str)
    return k == "metadata" and isinstance(v, dict)


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _prune(x: Any, s: dict | None, path: str, pruned: list[str]) -> None:
    if s is not None and s.get("x-kubernetes-preserve-unknown-fields"):
        _skip_prune(x, s, path, pruned)
        return
    if isinstance(x, dict):
        if s is None:
            for k in list(x):
                pruned.append(_join(path, k))
                del x[k]
            return
        props: dict = s.get("properties") or {}
        addl = s.get("additionalProperties")
        for k in list(x):
            v = x[k]
            if s.get("x-kubernetes-embedded-resource") and _is_meta(k, v):
                continue
            if k in props:
                _prune(v, props[k], _join(path, k), pruned)
            elif isinstance(addl, dict):
                _prune(v, addl, _join(path, k), pruned)
            elif addl is True:
                # additionalProperties: true keeps the value as it is
                continue
            else:
                pruned.append(_join(path, k))
                del x[k]
    elif isinstance(x, list):
        items = s.get("items") if s is not None else None
        for i, v in enumerate(x):
            _prune(v, items if isinstance(items, dict) else None, f"{path}[{i}]", pruned)


def _skip_prune(x: Any, s: dict, path: str, pruned: list[str]) -> None:
    if isinstance(x, dict):
        props: dict = s.get("properties") or {}
        addl = s.get("additionalProperties")
        for k, v in x.items():
            if s.get("x-kubernetes-embedded-resource") and k in _META_FIELDS:
                continue
            if k in props:
                _prune(v, props[k], _join(path, k), pruned)
            elif isinstance(addl, dict):
                _prune(v, addl, _join(path, k), pruned)
    elif isinstance(x, list):
        items = s.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(x):
                _skip_prune(v, items, f"{path}[{i}]", pruned)


# --------------------------------------------------------------------------------------------
# Structural schema check (the subset of apiextensions' CRD schema validation that matters most)

_V3_TYPES = ["array", "boolean", "integer", "number", "object", "string"]
_NESTED_FORBIDDEN = (
    ("type", "must be empty to be structural"),
    ("additionalProperties", "must be undefined to be structural"),
    ("default", "must be undefined to be structural"),
    ("title", "must be empty to be structural"),
    ("description", "must be empty to be structural"),
    ("nullable", "must be false to be structural"),
    ("externalDocs", "must be undefined to be structural"),
    ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
    ("x-kubernetes-embedded-resource", "must be false to be structural"),
    ("x-kubernetes-int-or-string", "must be false to be structural"),
    ("x-kubernetes-list-map-keys", "must be empty to be structural"),
    ("x-kubernetes-list-type", "must be undefined to be structural"),
    ("x-kubernetes-map-type", "must be undefined to be structural"),
    ("x-kubernetes-validations", "must be empty to be structural"),
)


def check_structural(schema: dict, path: str = "openAPIV3Schema") -> list[FieldError]:
    """Reasons a CRD schema is not structural (or otherwise rejected), sorted like upstream.

    `path` is the schema's own field path, e.g. "spec.versions[0].schema.openAPIV3Schema".
    """
    errs: list[FieldError] = []
    _check_node(schema, "root", path, errs)
    errs.sort(key=str)
    return errs


def _check_node(s: Any, level: str, path: str, errs: list[FieldError]) -> None:
    if not isinstance(s, dict):
        return
    t = s.get("type", "")
    if t and t not in _V3_TYPES:
        errs.append(
            FieldError(
                "NotSupported",
                f"{path}.type",
                "supported values: " + ", ".join(f'"{x}"' for x in _V3_TYPES),
                t,
            )
        )
    if t == "array" and s.get("items") is None:
        errs.append(FieldError("Required", f"{path}.items", "must be specified"))
    if isinstance(s.get("items"), dict):
        _check_node(s["items"], "item", f"{path}.items", errs)
    for k, v in (s.get("properties") or {}).items():
        _check_node(v, "field", f"{path}.properties[{k}]", errs)
    addl = s.get("additionalProperties")
    if addl is not None:
        if level == "root":
            errs.append(
                FieldError("Forbidden", f"{path}.additionalProperties", "must not be used at the root")
            )
        if addl is False:
            errs.append(
                FieldError(
                    "Forbidden", f"{path}.additionalProperties", "additionalProperties cannot be set to false"
                )
            )
        if s.get("properties") and (addl is False or isinstance(addl, dict)):
            errs.append(
                FieldError(
                    "Forbidden",
                    f"{path}.additionalProperties",
                    "additionalProperties and properties are mutual exclusive",
                )
            )
        if isinstance(addl, dict):
            _check_node(addl, "field", f"{path}.additionalProperties", errs)
    ios = bool(s.get("x-kubernetes-int-or-string"))
    pres = bool(s.get("x-kubernetes-preserve-unknown-fields"))
    emb = bool(s.get("x-kubernetes-embedded-resource"))
    if ios and pres:
        errs.append(
            FieldError(
                "Invalid",
                f"{path}.x-kubernetes-preserve-unknown-fields",
                "must be false if x-kubernetes-int-or-string is true",
                True,
            )
        )
    if ios and emb:
        errs.append(
            FieldError(
                "Invalid",
                f"{path}.x-kubernetes-embedded-resource",
                "must be false if x-kubernetes-int-or-string is true",
                True,
            )
        )
    for junctor in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(s.get(junctor) or []):
            if not (ios and junctor == "anyOf" and _int_or_string_any_of(s.get("anyOf"))):
                _check_nested(sub, f"{path}.{junctor}[{i}]", errs)
    if isinstance(s.get("not"), dict):
        _check_nested(s["not"], f"{path}.not", errs)
    if s.get("pattern"):
        rx = _compile(s["pattern"])
        if isinstance(rx, str):
            errs.append(
                FieldError(
                    "Invalid",
                    f"{path}.pattern",
                    f"must be a valid regular expression, but isn't: {rx}",
                    s["pattern"],
                )
            )
    if emb and t != "object":
        if not t:
            errs.append(
                FieldError(
                    "Required", f"{path}.type", "must be object if x-kubernetes-embedded-resource is true"
                )
            )
        else:
            errs.append(
                FieldError(
                    "Invalid", f"{path}.type", "must be object if x-kubernetes-embedded-resource is true", t
                )
            )
    elif not t and not ios and not pres:
        detail = {
            "root": "must not be empty at the root",
            "item": "must not be empty for specified array items",
            "field": "must not be empty for specified object fields",
        }[level]
        errs.append(FieldError("Required", f"{path}.type", detail))
    if emb and addl is not None:
        errs.append(
            FieldError(
                "Forbidden",
                f"{path}.additionalProperties",
                "must not be used if x-kubernetes-embedded-resource is set",
            )
        )
    if level == "root" and t and t != "object":
        errs.append(FieldError("Invalid", f"{path}.type", "must be object at the root", t))
    if emb and not pres and not s.get("properties"):
        errs.append(
            FieldError(
                "Required",
                f"{path}.properties",
                "must not be empty if x-kubernetes-embedded-resource is true without "
                "x-kubernetes-preserve-unknown-fields",
            )
        )
    if s.get("uniqueItems") is True:
        errs.append(
            FieldError(
                "Forbidden",
                f"{path}.uniqueItems",
                "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
            )
        )
    lt = s.get("x-kubernetes-list-type")
    if lt is not None:
        if lt not in ("atomic", "set", "map"):
            errs.append(
                FieldError(
                    "NotSupported",
                    f"{path}.x-kubernetes-list-type",
                    'supported values: "atomic", "set", "map"',
                    lt,
                )
            )
        elif t != "array":
            errs.append(
                FieldError("Invalid", f"{path}.x-kubernetes-list-type", "must only be used on type=array", lt)
            )
        if lt == "map" and not s.get("x-kubernetes-list-map-keys"):
            errs.append(
                FieldError(
                    "Required",
                    f"{path}.x-kubernetes-list-map-keys",
                    "must not be empty if x-kubernetes-list-type is map",
                )
            )
    if s.get("x-kubernetes-list-map-keys") and lt != "map":
        errs.append(
            FieldError(
                "Invalid",
                f"{path}.x-kubernetes-list-type",
                "must be map if x-kubernetes-list-map-keys is non-empty",
                lt,
            )
        )


def _int_or_string_any_of(any_of: Any) -> bool:
    return any_of == [{"type": "integer"}, {"type": "string"}]


def _check_nested(v: Any, path: str, errs: list[FieldError]) -> None:
    if not isinstance(v, dict):
        return
    for key, detail in _NESTED_FORBIDDEN:
        val = v.get(key)
        if val not in (None, False, "", [], {}):
            errs.append(FieldError("Forbidden", f"{path}.{key}", detail))
    if "metadata" in (v.get("properties") or {}):
        errs.append(
            FieldError(
                "Forbidden", f"{path}.properties[metadata]", "must not be specified in a nested context"
            )
        )
    if isinstance(v.get("items"), dict):
        _check_nested(v["items"], f"{path}.items", errs)
    for k, sub in (v.get("properties") or {}).items():
        _check_nested(sub, f"{path}.properties[{k}]", errs)
    for junctor in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(v.get(junctor) or []):
            _check_nested(sub, f"{path}.{junctor}[{i}]", errs)
    if isinstance(v.get("not"), dict):
        _check_nested(v["not"], f"{path}.not", errs)
