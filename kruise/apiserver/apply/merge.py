"""Merging an applied configuration into a live object, and removing owned fields from it.

Granular maps merge key by key and set/map lists item by item; atomic maps and lists, and
scalars, are replaced whole by the applied value. Results never share containers with inputs.
"""

from __future__ import annotations

from typing import Any

from ...api.objects import clone
from ..typemeta import SchemaNode
from .fieldset import MISSING, FieldSet, is_granular_list, is_granular_map, item_pe


def merge(live: Any, applied: Any, schema: SchemaNode) -> Any:
    """`applied` merged over `live` (MISSING for none). A null in a granular map of `applied`
    leaves the key out of the result: kube stores such a field as unset."""
    if is_granular_map(schema, applied):
        base = live if isinstance(live, dict) else {}
        out: dict[str, Any] = {}
        for name, value in base.items():
            if name not in applied:
                out[name] = clone(value)
            elif applied[name] is not None:
                out[name] = merge(value, applied[name], schema.child(name))
        for name, value in applied.items():
            if name not in base and value is not None:
                out[name] = merge(MISSING, value, schema.child(name))
        return out
    if is_granular_list(schema, applied) and isinstance(live, list):
        return _merge_list(live, applied, schema)
    if is_granular_list(schema, applied):
        return [merge(MISSING, item, schema.item()) for item in applied]
    return clone(applied)


def _merge_list(live: list[Any], applied: list[Any], schema: SchemaNode) -> list[Any]:
    live_pes = [item_pe(item, schema) for item in live]
    applied_pes = [item_pe(item, schema) for item in applied]
    applied_at = set(applied_pes)
    live_by_pe: dict[str, list[Any]] = {}
    for pe, item in zip(live_pes, live, strict=True):
        live_by_pe.setdefault(pe, []).append(item)
    item_schema = schema.item()

    def merged_item(i: int) -> Any:
        olds = live_by_pe.get(applied_pes[i], [])
        # a duplicated live item cannot be matched; the applied item replaces the group
        return merge(olds[0] if len(olds) == 1 else MISSING, applied[i], item_schema)

    # Live-only items keep their place among live items; applied items come out in applied
    # order. A shared live item met before its turn in applied order is skipped and emitted
    # when the applied walk reaches it (structured-merge-diff's ordering).
    shared = [pe for pe in applied_pes if pe in live_by_pe]
    turn = 0  # index in `shared` of the next shared item applied order expects
    emitted: set[str] = set()
    out: list[Any] = []
    li = ai = 0
    while li < len(live) or ai < len(applied):
        if li < len(live) and ai < len(applied):
            pe = live_pes[li]
            if pe == applied_pes[ai]:
                out.append(merged_item(ai))
                emitted.add(pe)
                li, ai = li + 1, ai + 1
                turn = shared.index(pe, turn) + 1 if pe in shared[turn:] else turn
                continue
            if pe in applied_at and turn < len(shared) and shared[turn] != pe:
                li += 1
                continue
        if li < len(live):
            pe = live_pes[li]
            if pe not in applied_at:
                out.append(clone(live[li]))
                li += 1
                continue
            if pe in emitted:
                li += 1
                continue
        if ai < len(applied):
            pe = applied_pes[ai]
            out.append(merged_item(ai))
            emitted.add(pe)
            ai += 1
            if turn < len(shared) and shared[turn] == pe:
                turn += 1
    return out


def remove_paths(value: Any, paths: FieldSet, schema: SchemaNode) -> Any:
    """A copy of `value` without the given members. A map or list emptied by the removal is
    dropped from its parent, as kube turns it into an unset field."""
    trie: dict[str, Any] = {}
    for path in paths:
        node = trie
        for pe in path:
            node = node.setdefault(pe, {})
        node["."] = True
    out = _remove(value, trie, schema)
    return {} if out is MISSING else out


def _remove(value: Any, trie: dict[str, Any], schema: SchemaNode) -> Any:
    if is_granular_map(schema, value):
        out: dict[str, Any] = {}
        for name, child in value.items():
            sub = trie.get("f:" + name)
            if sub is None:
                out[name] = clone(child)
            elif "." not in sub:
                kept = _remove(child, sub, schema.child(name))
                if kept is not MISSING:
                    out[name] = kept
        return out if out else MISSING
    if is_granular_list(schema, value):
        items: list[Any] = []
        item_schema = schema.item()
        for item in value:
            sub = trie.get(item_pe(item, schema))
            if sub is None:
                items.append(clone(item))
            elif "." not in sub:
                kept = _remove(item, sub, item_schema)
                if kept is not MISSING:
                    items.append(kept)
        return items if items else MISSING
    return clone(value)
