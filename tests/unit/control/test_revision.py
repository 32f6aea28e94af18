"""ControllerRevision hashing, planning and history pruning (kruise-behaviour.md §1.1)."""

from __future__ import annotations

import copy

import pytest

from kruise.control.revision import (
    HASH_LABEL,
    SAFE_ALPHABET,
    RevisionPlan,
    equal_revisions,
    fnv1_32,
    hash_revision,
    new_revision,
    plan_revisions,
    revision_data,
    revisions_to_prune,
    safe_encode,
)

OWNER = {
    "apiVersion": "apps.kruise.io/v1alpha1",
    "kind": "CloneSet",
    "metadata": {"name": "cs", "namespace": "ns", "uid": "uid-1"},
}


def template(image: str) -> dict:
    return {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "main", "image": image}]},
    }


T1, T2, T3 = template("nginx:1"), template("nginx:2"), template("nginx:3")


def rev(tpl: dict, number: int, collision_count: int | None = 0) -> dict:
    return new_revision(OWNER, tpl, number, collision_count)


def name(obj: dict) -> str:
    return obj["metadata"]["name"]


# --------------------------------------------------------------------------------------------
# hashing


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", 0x811C9DC5), (b"a", 0x050C5D7E), (b"foobar", 0x31F0B262)],
)
def test_fnv1_32_matches_reference_vectors(data: bytes, expected: int) -> None:
    # FNV-1 (multiply then xor), not FNV-1a
    assert fnv1_32([data]) == expected


def test_safe_encode_maps_digits_through_the_alphabet() -> None:
    assert safe_encode("0123456789") == "456789bcdf"


def test_hash_is_fnv_of_compact_sorted_json_then_collision_count() -> None:
    assert fnv1_32([b'{"a":1}']) == 2552275893
    assert hash_revision({"a": 1}, None) == "69966c9df7"
    assert hash_revision({"a": 1}, 0) == safe_encode(str(fnv1_32([b'{"a":1}', b"0"])))


def test_hash_is_deterministic_regardless_of_key_order() -> None:
    a = {"spec": {"template": {"metadata": {"labels": {"x": "1", "y": "2"}}, "$patch": "replace"}}}
    b = {"spec": {"template": {"$patch": "replace", "metadata": {"labels": {"y": "2", "x": "1"}}}}}
    assert hash_revision(a, 3) == hash_revision(b, 3)


def test_collision_count_changes_the_hash() -> None:
    data = revision_data(T1)
    hashes = {hash_revision(data, c) for c in (None, 0, 1, 2)}
    assert len(hashes) == 4


@pytest.mark.parametrize("tpl", [T1, T2, T3, {}])
def test_hash_uses_only_the_safe_alphabet(tpl: dict) -> None:
    h = hash_revision(revision_data(tpl), 7)
    assert h and set(h) <= set(SAFE_ALPHABET)


def test_go_html_escaping_in_hashed_json() -> None:
    # Go's encoding/json escapes <, > and & inside strings
    assert hash_revision({"a": "<&>"}, None) == safe_encode(str(fnv1_32([b'{"a":"\\u003c\\u0026\\u003e"}'])))


# --------------------------------------------------------------------------------------------
# revision objects


def test_revision_data_replaces_the_whole_template() -> None:
    assert revision_data(T1) == {"spec": {"template": {**T1, "$patch": "replace"}}}
    assert "$patch" not in T1


def test_new_revision_shape() -> None:
    h = hash_revision(revision_data(T1), 0)
    assert new_revision(OWNER, T1, 4, 0) == {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"cs-{h}",
            "namespace": "ns",
            "labels": {"app": "web", HASH_LABEL: h},
            "ownerReferences": [
                {
                    "apiVersion": "apps.kruise.io/v1alpha1",
                    "kind": "CloneSet",
                    "name": "cs",
                    "uid": "uid-1",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": revision_data(T1),
        "revision": 4,
    }
    assert T1["metadata"]["labels"] == {"app": "web"}  # template labels are copied, not mutated


def test_equal_revisions_compares_data_only() -> None:
    a, b = rev(T1, 1), rev(T1, 9, collision_count=5)
    assert name(a) != name(b)
    assert equal_revisions(a, b)
    assert not equal_revisions(a, rev(T2, 1))
    assert equal_revisions(None, None)
    assert not equal_revisions(a, None)


# --------------------------------------------------------------------------------------------
# plan_revisions


def test_first_revision_is_created_with_number_one() -> None:
    plan = plan_revisions(OWNER, [], T1, None, 0)
    expected = rev(T1, 1)
    assert plan == RevisionPlan(
        update=expected, current=expected, create=expected, bump=None, collision_count=0
    )


def test_no_change_reuses_the_newest_revision() -> None:
    r1 = rev(T1, 1)
    plan = plan_revisions(OWNER, [r1], T1, name(r1), 0)
    assert plan == RevisionPlan(update=r1, current=r1, create=None, bump=None, collision_count=0)


def test_template_change_creates_the_next_revision() -> None:
    r1, r2 = rev(T1, 1), rev(T2, 2)
    plan = plan_revisions(OWNER, [r2, r1], T3, name(r1), 0)  # input order does not matter
    assert plan.create == rev(T3, 3)
    assert plan.update is plan.create
    assert plan.current == r1
    assert plan.bump is None


def test_rollback_bumps_the_older_equal_revision() -> None:
    r1, r2 = rev(T1, 1), rev(T2, 2)
    before = copy.deepcopy(r1)
    plan = plan_revisions(OWNER, [r1, r2], T1, name(r2), 0)
    assert plan.create is None
    assert plan.bump == {**r1, "revision": 3}
    assert plan.update is plan.bump
    assert name(plan.update) == name(r1)  # rollback reuses the old name
    assert plan.current == r2
    assert r1 == before  # input untouched


def test_rollback_picks_the_latest_of_several_equal_revisions() -> None:
    old = rev(T1, 1)
    dup = {**rev(T1, 2, collision_count=1)}  # same data, another name
    r3 = rev(T2, 3)
    plan = plan_revisions(OWNER, [old, dup, r3], T1, name(r3), 0)
    assert plan.bump is not None and name(plan.bump) == name(dup) and plan.bump["revision"] == 4


def test_unknown_current_revision_falls_back_to_update() -> None:
    r1 = rev(T1, 1)
    plan = plan_revisions(OWNER, [r1], T2, "cs-gone", 0)
    assert plan.current is plan.update is plan.create


def test_hash_collision_increments_collision_count_and_renames() -> None:
    squatter = rev(T2, 1, collision_count=0)
    squatter["data"] = revision_data(T1)  # same name as T2's candidate, different data
    plan = plan_revisions(OWNER, [squatter], T2, name(squatter), 0)
    assert plan.collision_count == 1
    assert plan.create == rev(T2, 2, collision_count=1)
    assert name(plan.create) != name(squatter)
    assert plan.current == squatter


def test_collision_count_from_status_is_used() -> None:
    plan = plan_revisions(OWNER, [], T1, None, 3)
    assert plan.create == rev(T1, 1, collision_count=3)
    assert plan.collision_count == 3


# --------------------------------------------------------------------------------------------
# pruning


def history(n: int) -> list[dict]:
    return [{"metadata": {"name": f"cs-h{i}"}, "revision": i, "data": {"n": i}} for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("live", "limit", "expected"),
    [
        # current/update = cs-h6; non-live: h1..h5
        (set(), 10, []),
        (set(), 5, []),
        (set(), 3, ["cs-h1", "cs-h2"]),
        (set(), 0, ["cs-h1", "cs-h2", "cs-h3", "cs-h4", "cs-h5"]),
        (set(), -1, ["cs-h1", "cs-h2", "cs-h3", "cs-h4", "cs-h5"]),
        # pods reference h2 by full name and h3 by short hash: non-live h1, h4, h5
        ({"cs-h2", "h3"}, 1, ["cs-h1", "cs-h4"]),
        ({"cs-h2", "h3"}, 3, []),
        ({"cs-h2", "h3"}, 0, ["cs-h1", "cs-h4", "cs-h5"]),
    ],
)
def test_revisions_to_prune(live: set[str], limit: int, expected: list[str]) -> None:
    revisions = list(reversed(history(6)))  # oldest-first comes from .revision, not input order
    got = revisions_to_prune(revisions, "cs-h6", "cs-h6", live, limit)
    assert [name(r) for r in got] == expected


def test_prune_keeps_current_and_update() -> None:
    got = revisions_to_prune(history(4), "cs-h1", "cs-h4", set(), 0)
    assert [name(r) for r in got] == ["cs-h2", "cs-h3"]
