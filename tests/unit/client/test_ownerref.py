from __future__ import annotations

from kruise.client.ownerref import adopt_patch, claim, controller_ref, new_controller_ref, release_patch

OWNER = {"apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet", "metadata": {"name": "cs", "uid": "u1"}}


def pod(name: str, app: str, owner_uid: str | None = None, deleting: bool = False) -> dict:
    meta: dict = {"name": name, "uid": f"p-{name}", "labels": {"app": app}}
    if owner_uid:
        meta["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "X", "name": "o", "uid": owner_uid, "controller": True}
        ]
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta}


def matches(obj: dict) -> bool:
    return obj["metadata"]["labels"]["app"] == "web"


def test_claim_splits_owned_adoptable_and_released() -> None:
    pods = [
        pod("a", "web", "u1"),
        pod("b", "web"),
        pod("c", "db", "u1"),
        pod("d", "web", "other"),
        pod("e", "db"),
        pod("f", "web", deleting=True),
    ]
    out = claim(OWNER, matches, pods)
    assert [p["metadata"]["name"] for p in out.owned] == ["a"]
    assert [p["metadata"]["name"] for p in out.adopt] == ["b"]
    assert [p["metadata"]["name"] for p in out.release] == ["c"]


def test_owner_being_deleted_adopts_nothing() -> None:
    deleting = {**OWNER, "metadata": {**OWNER["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert claim(deleting, matches, [pod("b", "web")]).adopt == []


def test_patches_carry_uid_precondition() -> None:
    p = pod("b", "web")
    ref = new_controller_ref(OWNER)
    assert ref == {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "name": "cs",
        "uid": "u1",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert adopt_patch(OWNER, p) == {"metadata": {"ownerReferences": [ref], "uid": "p-b"}}
    assert release_patch("u1", p) == {
        "metadata": {"ownerReferences": [{"$patch": "delete", "uid": "u1"}], "uid": "p-b"}
    }
    assert controller_ref(pod("a", "web", "u1"))["uid"] == "u1"
    assert controller_ref(p) is None
