"""managedFields bookkeeping: ordinary writes (operation "Update") and server-side apply.

Managers are identified as kube-apiserver identifies them: by name, operation, subresource and,
for Update only, apiVersion (so one applier keeps one entry across versions). Behaviours kept
from kube-apiserver because clients observe them:

- metadata that identifies or versions the object is never owned (`_STRIPPED`);
- an existing object without managedFields stays untracked by updates, and its first apply
  records the existing fields under "before-first-apply";
- a write that sends `managedFields: []` (or `[{}]`) clears them; a write that omits them keeps
  the stored ones; a write that sets them (kubectl's client-side to server-side upgrade) wins;
- at most ten Update entries are kept; the oldest fold into "ancient-changes" per apiVersion;
- an apply that changes nothing leaves the applier's timestamp alone;
- manager "kubectl" may take over fields recorded in the client-side
  `kubectl.kubernetes.io/last-applied-configuration` annotation without conflicts, and keeps
  that annotation in step with what it applies.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from ...api.objects import clone
from ..typemeta import SchemaNode
from .fieldset import (
    FieldPathError,
    FieldSet,
    Path,
    canonical_json,
    check_fields_v1,
    compare,
    created_fields_v1,
    decode_fields_v1,
    encode_fields_v1,
    exclude_trie,
    field_set,
    json_equal,
    known_canonical,
    ordered_paths,
    path_string,
    schema_at,
    strict_prefixes,
    trie_has,
    trie_with,
    trie_without,
)
from .merge import merge, remove_paths

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
BEFORE_FIRST_APPLY = "before-first-apply"
ANCIENT_CHANGES = "ancient-changes"
MAX_UPDATE_MANAGERS = 10

_STRIPPED: FieldSet = {
    ("f:apiVersion",),
    ("f:kind",),
    ("f:metadata",),
    *(
        ("f:metadata", "f:" + name)
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
            # set only by the server while deleting, never by a client's intent
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        )
    ),
}

_STRIPPED_TRIE = exclude_trie(_STRIPPED)


class ManagerId(NamedTuple):
    manager: str
    operation: str  # "Apply" | "Update"
    api_version: str  # "" for Apply: an applier is the same manager in every version
    subresource: str

    def identifier(self) -> str:
        """The JSON kube uses as the manager's key (it orders conflict messages by it)."""
        doc: dict[str, str] = {"manager": self.manager, "operation": self.operation}
        if self.api_version:
            doc["apiVersion"] = self.api_version
        if self.subresource:
            doc["subresource"] = self.subresource
        return _go_json(doc)

    def printed(self) -> str:
        text = _quote(self.manager)
        if self.subresource:
            text += f" with subresource {_quote(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def _go_json(value: Any) -> str:
    # key order as given, Go's escaping
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


class _Entry:
    """One managedFields entry. Its field set is held either as a set of paths or, as decoded
    from a canonical FieldsV1 trie, as that trie (`raw`, shared and never modified); `fields`
    turns the trie into a set, and the methods keep it a trie where they can."""

    __slots__ = ("_fields", "_raw", "api_version", "id", "time")

    def __init__(
        self,
        id: ManagerId,
        api_version: str,
        time: str | None,
        fields: FieldSet | None = None,
        *,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.api_version = api_version
        self.time = time
        self._raw = raw
        self._fields: FieldSet | None = fields if fields is not None or raw is not None else set()

    @property
    def fields(self) -> FieldSet:
        """The field set (as a mutable set; from here on the entry holds it as one)."""
        if self._fields is None:
            self._fields = decode_fields_v1(self._raw)
            self._raw = None
        return self._fields

    @fields.setter
    def fields(self, value: FieldSet) -> None:
        self._fields, self._raw = value, None

    def has_fields(self) -> bool:
        # a canonical trie with any key has a member (only a root "." would not be one)
        return bool(self._raw) if self._fields is None else bool(self._fields)

    def owned(self, paths: FieldSet) -> FieldSet:
        """`fields & paths`."""
        if self._fields is None:
            raw = self._raw
            return {p for p in paths if trie_has(raw, p)}  # type: ignore[arg-type]
        return self._fields & paths

    def disown(self, paths: FieldSet) -> None:
        """`fields -= paths`."""
        if self._fields is None:
            hits = self.owned(paths)
            if hits:
                self._raw = trie_without(self._raw, hits)  # type: ignore[arg-type]
        else:
            self._fields = self._fields - paths

    def own(self, paths: FieldSet) -> None:
        """`fields |= paths`."""
        if self._fields is None:
            raw = self._raw
            new = [p for p in paths if not trie_has(raw, p)]  # type: ignore[arg-type]
            if new:
                self._raw = trie_with(raw, new)  # type: ignore[arg-type]
        else:
            self._fields |= paths

    def fields_v1(self) -> dict[str, Any]:
        """The FieldsV1 encoding: a held trie as it is (tries are shared, never modified)."""
        if self._fields is None:
            return self._raw  # type: ignore[return-value]
        return encode_fields_v1(self._fields)


_Managers = dict[ManagerId, _Entry]


class ApplyConflict(Exception):
    """An apply that would change fields other managers own. The REST layer answers 409
    Conflict with `message()` and `causes()`."""

    def __init__(self, items: list[tuple[ManagerId, Path]]) -> None:
        # grouped by manager in kube's order, paths in set order within a manager
        by_manager: dict[ManagerId, list[Path]] = {}
        for mid, path in items:
            by_manager.setdefault(mid, []).append(path)
        self._groups = [
            (mid, ordered_paths(by_manager[mid])) for mid in sorted(by_manager, key=ManagerId.identifier)
        ]
        self.conflicts: list[tuple[str, str]] = [
            (mid.manager, path_string(p)) for mid, paths in self._groups for p in paths
        ]
        super().__init__(self.message())

    def message(self) -> str:
        count = len(self.conflicts)
        if count == 1:
            mid, paths = self._groups[0]
            return f"Apply failed with 1 conflict: conflict with {mid.printed()}: {path_string(paths[0])}"
        lines = []
        for mid, paths in self._groups:
            lines.append(f"conflicts with {mid.printed()}:")
            lines.extend(f"- {path_string(p)}" for p in paths)
        return f"Apply failed with {count} conflicts: " + "\n".join(lines)

    def causes(self) -> list[dict[str, str]]:
        return [
            {
                "reason": "FieldManagerConflict",
                "message": f"conflict with {mid.printed()}",
                "field": path_string(p),
            }
            for mid, paths in self._groups
            for p in paths
        ]


# ---- managedFields <-> managers -----------------------------------------------------------


def _decode(entries: Any) -> _Managers:
    """Managers from a managedFields list; raises ValueError when it is malformed."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    out: _Managers = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ValueError("managedFields entries must be objects")
        operation = entry.get("operation")
        if operation not in ("Apply", "Update"):
            raise ValueError(f"unknown operation {operation!r}")
        if entry.get("fieldsType") != "FieldsV1":
            raise ValueError(f"unknown fieldsType {entry.get('fieldsType')!r}")
        api_version = str(entry.get("apiVersion") or "")
        mid = ManagerId(
            str(entry.get("manager") or ""),
            operation,
            api_version if operation == "Update" else "",
            str(entry.get("subresource") or ""),
        )
        fields_v1 = entry.get("fieldsV1", {})
        if mid in out:
            out[mid].fields |= decode_fields_v1(fields_v1)
        elif check_fields_v1(fields_v1):
            out[mid] = _Entry(mid, api_version, entry.get("time"), raw=fields_v1)
        else:
            out[mid] = _Entry(mid, api_version, entry.get("time"), decode_fields_v1(fields_v1))
    return out


def _seconds(time: str | None) -> float:
    if not time:
        return 0.0
    # remembered for strings, what managedFields hold; anything else fails as it always did
    return _seconds_of(time) if type(time) is str else _seconds_of.__wrapped__(time)


@lru_cache(maxsize=1024)
def _seconds_of(time: str) -> float:
    try:
        # whole seconds, as kube compares metav1.Time
        return float(int(datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        return 0.0


def _encode(managers: _Managers) -> list[dict[str, Any]]:
    entries = [e for e in managers.values() if e.has_fields()]
    entries.sort(
        key=lambda e: (e.id.operation, _seconds(e.time), e.id.manager, e.api_version, e.id.subresource)
    )
    out = []
    for e in entries:
        doc: dict[str, Any] = {
            "manager": e.id.manager,
            "operation": e.id.operation,
            "apiVersion": e.api_version,
        }
        if e.time:
            doc["time"] = e.time
        doc["fieldsType"] = "FieldsV1"
        doc["fieldsV1"] = known_canonical(e.fields_v1())
        if e.id.subresource:
            doc["subresource"] = e.id.subresource
        out.append(doc)
    return out


def _cap_updates(managers: _Managers) -> None:
    """Fold the oldest Update entries into one "ancient-changes" entry per apiVersion."""
    updates = [mid for mid in managers if mid.operation == "Update"]
    if len(updates) <= MAX_UPDATE_MANAGERS:
        return
    updates.sort(key=lambda mid: (_seconds(managers[mid].time), mid.identifier()))
    first_of_version: dict[str, ManagerId] = {}
    count = len(updates)
    for mid in updates:
        if count <= MAX_UPDATE_MANAGERS:
            break
        entry = managers[mid]
        bucket = ManagerId(ANCIENT_CHANGES, "Update", entry.api_version, "")
        if mid == bucket:
            first_of_version.setdefault(entry.api_version, mid)
            continue
        if entry.api_version not in first_of_version:
            first_of_version[entry.api_version] = mid
            continue
        if bucket not in managers:
            first = managers.pop(first_of_version[entry.api_version])
            managers[bucket] = _Entry(bucket, first.api_version, first.time, first.fields)
        managers[bucket].fields |= entry.fields
        managers[bucket].time = entry.time
        del managers[mid]
        count -= 1


# ---- shared steps -------------------------------------------------------------------------


def _without_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    out = dict(obj)
    out["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return out


def _owned_changes(
    old: Any, new: Any, schema: SchemaNode, managers: _Managers, actor: ManagerId | None
) -> tuple[FieldSet, FieldSet, dict[ManagerId, FieldSet]]:
    """(changed, removed, conflicts): fields added or modified, fields removed, and per
    manager other than `actor` the changed fields it owns."""
    cmp = compare(old, new, schema)
    changed = cmp.changed()
    conflicts = {}
    for mid, entry in managers.items():
        if mid != actor:
            hit = entry.owned(changed)
            if hit:
                conflicts[mid] = hit
    return changed, cmp.removed, conflicts


def _take_ownership(
    managers: _Managers, actor: ManagerId | None, removed: FieldSet, conflicts: dict[ManagerId, FieldSet]
) -> None:
    for mid, entry in managers.items():
        if mid != actor:
            entry.disown(conflicts[mid] | removed if mid in conflicts else removed)


def _record_update(
    old: Any,
    new: Any,
    schema: SchemaNode,
    managers: _Managers,
    mid: ManagerId,
    api_version: str,
    now: str,
) -> None:
    changed, removed, conflicts = _owned_changes(old, new, schema, managers, None)
    mine = changed - _STRIPPED
    if mine and mid in conflicts:
        # what the writer owned and changed stays its own: not taken away only to be given back
        conflicts[mid] = conflicts[mid] - mine
    _take_ownership(managers, None, removed, conflicts)
    if mine:
        entry = managers.get(mid)
        if entry is None:
            managers[mid] = _Entry(mid, api_version, now, mine)
        else:
            entry.own(mine)
            entry.time = now


# ---- Update -------------------------------------------------------------------------------


def _managers_for_update(old: dict[str, Any] | None, new: dict[str, Any], subresource: str) -> _Managers:
    old_entries = ((old or {}).get("metadata") or {}).get("managedFields")
    if not subresource:
        new_entries = (new.get("metadata") or {}).get("managedFields")
        if new_entries == [] or new_entries == [{}]:
            return {}  # an explicit reset
        try:
            managers = _decode(new_entries)
        except ValueError:
            managers = {}
        if managers:
            return managers
    try:
        return _decode(old_entries)
    except ValueError:
        return {}


def track_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    schema: SchemaNode,
    *,
    manager: str,
    now: str,
    api_version: str,
    subresource: str = "",
) -> list[dict[str, Any]]:
    """The managedFields to store after an ordinary create (`old` None), update or patch.

    Fields the write added or changed become owned by `manager` (and no longer by anyone
    else); fields it removed are disowned by all. The caller stores the result in
    `new.metadata.managedFields`.
    """
    managers = _managers_for_update(old, new, subresource)
    if old is not None and not managers:
        return []  # untracked objects stay untracked until their first apply
    if old is None and not managers:
        return _track_create(new, schema, manager, now, api_version, subresource)
    old_obj = _without_managed_fields(old) if old is not None else {}
    new_obj = _without_managed_fields(new)
    mid = ManagerId(manager, "Update", api_version, subresource)
    try:
        _record_update(old_obj, new_obj, schema, managers, mid, api_version, now)
    except FieldPathError:
        return []  # as kube-apiserver: better no managedFields than wrong ones
    _cap_updates(managers)
    return _encode(managers)


def _track_create(
    new: dict[str, Any], schema: SchemaNode, manager: str, now: str, api_version: str, subresource: str
) -> list[dict[str, Any]]:
    """`track_update` of a create with no managedFields to keep, in one walk: what the general
    path computes from `compare({}, new)`, with the one entry encoded directly."""
    try:
        fields = created_fields_v1(_without_managed_fields(new), schema, _STRIPPED_TRIE)
    except FieldPathError:
        return []
    if not fields:
        return []
    doc: dict[str, Any] = {"manager": manager, "operation": "Update", "apiVersion": api_version}
    if now:
        doc["time"] = now
    doc["fieldsType"] = "FieldsV1"
    doc["fieldsV1"] = known_canonical(fields)  # equal to encode_fields_v1 of the walk (property-tested)
    if subresource:
        doc["subresource"] = subresource
    return [doc]


# ---- Apply --------------------------------------------------------------------------------


def _check_applied(applied: Any, api_version: str) -> None:
    if not isinstance(applied, dict):
        raise ValueError("the applied configuration must be a JSON object")
    for name in ("apiVersion", "kind"):
        if not isinstance(applied.get(name), str) or not applied[name]:
            raise ValueError(f"Object '{name}' is missing in the applied configuration")
    if applied["apiVersion"] != api_version:
        raise ValueError(
            "Incorrect version specified in apply patch. "
            f"Specified patch version: {applied['apiVersion']}, expected: {api_version}"
        )
    meta = applied.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise ValueError("metadata.managedFields must be nil")


def _named_or_member(path: Path, members: FieldSet, prefixes: FieldSet, schema: SchemaNode) -> bool:
    # kube treats a declared struct field as owned when anything beneath it is
    return path in members or (path in prefixes and schema_at(schema, path)[1])


def _pruned(merged: Any, last: FieldSet, owned: FieldSet, schema: SchemaNode) -> FieldSet:
    """Fields the applier owned last time that nobody owns now and so leave the object.

    A field goes if it, or a list item / map entry above it, is no longer owned by anyone; a
    struct field stays while anything beneath it is owned."""
    present = field_set(merged, schema)
    present_prefixes = strict_prefixes(present)
    last_prefixes = strict_prefixes(last)
    owned_prefixes = strict_prefixes(owned)
    out: FieldSet = set()
    for path in present & last:
        gone = False
        for i in range(1, len(path) + 1):
            prefix = path[:i]
            gone = gone or _named_or_member(prefix, last, last_prefixes, schema)
            if (
                gone
                and _named_or_member(prefix, present, present_prefixes, schema)
                and not _named_or_member(prefix, owned, owned_prefixes, schema)
            ):
                out.add(path)
                break
    return out


def _allowed_by_last_applied(live: dict[str, Any], schema: SchemaNode, api_version: str) -> FieldSet | None:
    """Fields whose client-side last-applied value is still the live one."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not text:
        return None
    try:
        last = json.loads(text)
        if not isinstance(last, dict) or last.get("apiVersion") != api_version:
            return None
        cmp = compare(last, live, schema)
        return field_set(last, schema) - cmp.modified - cmp.added - cmp.removed
    except (ValueError, FieldPathError):
        return None


def _sync_last_applied(obj: dict[str, Any], applied: dict[str, Any]) -> None:
    annotations = (obj.get("metadata") or {}).get("annotations")
    if not isinstance(annotations, dict) or not annotations.get(LAST_APPLIED):
        return
    doc = clone(applied)
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        meta["annotations"].pop(LAST_APPLIED, None)
    annotations[LAST_APPLIED] = canonical_json(doc) + "\n"


def server_side_apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    schema: SchemaNode,
    *,
    manager: str,
    force: bool,
    now: str,
    api_version: str,
    subresource: str = "",
) -> dict[str, Any]:
    """The object after `manager` applies `applied` to `live` (None: create it).

    Raises ApplyConflict when `applied` changes fields another manager owns (unless `force`),
    ValueError when the configuration is unusable (the REST layer answers 400). Inputs are not
    modified.
    """
    _check_applied(applied, api_version)
    live_obj = _without_managed_fields(live) if live is not None else {}
    try:
        managers = _decode(((live or {}).get("metadata") or {}).get("managedFields"))
    except ValueError:
        managers = {}
    if live is not None and not managers:
        before = ManagerId(BEFORE_FIRST_APPLY, "Update", api_version, subresource)
        _record_update({}, live_obj, schema, managers, before, api_version, now)

    mid = ManagerId(manager, "Apply", "", subresource)
    previous = managers.get(mid)
    applied_fields = field_set(applied, schema, allow_duplicates=False) - _STRIPPED
    merged = merge(live_obj, applied, schema)
    if previous is not None and previous.fields:
        owned = set(applied_fields)
        for other, entry in managers.items():
            if other != mid:
                owned |= entry.fields
        gone = _pruned(merged, previous.fields, owned, schema)
        if gone:
            merged = remove_paths(merged, gone, schema)
    managers[mid] = _Entry(mid, api_version, previous.time if previous else None, applied_fields)

    _, removed, conflicts = _owned_changes(live_obj, merged, schema, managers, mid)
    if conflicts and not force:
        items = [(other, p) for other, paths in conflicts.items() for p in paths]
        allowed = _allowed_by_last_applied(live_obj, schema, api_version) if manager == "kubectl" else None
        if allowed is None:
            raise ApplyConflict(items)
        remaining = [(other, p) for other, p in items if p not in allowed]
        if remaining:
            raise ApplyConflict(remaining)
    _take_ownership(managers, mid, removed, conflicts)

    if live is None or not json_equal(live_obj, merged):
        managers[mid].time = now
    _cap_updates(managers)
    if manager == "kubectl":
        _sync_last_applied(merged, applied)
    meta = merged.setdefault("metadata", {})
    meta["managedFields"] = _encode(managers)
    return merged
