"""JSON patch (RFC 6902) with kube-apiserver's (evanphx/json-patch) error codes and messages."""

from __future__ import annotations

import copy

import pytest

from kruise.apiserver.patch import PatchError, apply_json_patch

DOC = {
    "metadata": {"name": "p", "labels": {"a": "1", "app.kubernetes.io/name": "x", "t~x": "y"}},
    "spec": {"containers": [{"name": "c0"}, {"name": "c1"}], "replicas": 1},
}

OK_CASES = [
    ("add member", [{"op": "add", "path": "/spec/paused", "value": True}],
     {"spec": {**DOC["spec"], "paused": True}}),
    ("add replaces existing member", [{"op": "add", "path": "/spec/replicas", "value": 3}],
     {"spec": {**DOC["spec"], "replicas": 3}}),
    ("append with -", [{"op": "add", "path": "/spec/containers/-", "value": {"name": "c2"}}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}, {"name": "c1"}, {"name": "c2"}]}}),
    ("insert at index", [{"op": "add", "path": "/spec/containers/1", "value": {"name": "new"}}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}, {"name": "new"}, {"name": "c1"}]}}),
    ("insert at end index", [{"op": "add", "path": "/spec/containers/2", "value": {"name": "new"}}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}, {"name": "c1"}, {"name": "new"}]}}),
    ("remove array item", [{"op": "remove", "path": "/spec/containers/0"}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c1"}]}}),
    ("remove with ~1 escape", [{"op": "remove", "path": "/metadata/labels/app.kubernetes.io~1name"}],
     {"metadata": {"name": "p", "labels": {"a": "1", "t~x": "y"}}}),
    ("replace with ~0 escape", [{"op": "replace", "path": "/metadata/labels/t~0x", "value": "z"}],
     {"metadata": {"name": "p", "labels": {"a": "1", "app.kubernetes.io/name": "x", "t~x": "z"}}}),
    ("replace array item", [{"op": "replace", "path": "/spec/containers/1", "value": {"name": "r"}}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}, {"name": "r"}]}}),
    ("move", [{"op": "move", "from": "/spec/replicas", "path": "/spec/count"}],
     {"spec": {"containers": DOC["spec"]["containers"], "count": 1}}),
    ("copy", [{"op": "copy", "from": "/spec/containers/0", "path": "/spec/containers/-"}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}, {"name": "c1"}, {"name": "c0"}]}}),
    ("test then replace", [{"op": "test", "path": "/metadata/labels/a", "value": "1"},
                           {"op": "replace", "path": "/metadata/labels/a", "value": "2"}],
     {"metadata": {**DOC["metadata"], "labels": {**DOC["metadata"]["labels"], "a": "2"}}}),
    ("test null matches absent", [{"op": "test", "path": "/spec/absent", "value": None}], {}),
    ("test whole document", [{"op": "test", "path": "", "value": DOC}], {}),
    ("negative index as kube-apiserver allows", [{"op": "remove", "path": "/spec/containers/-1"}],
     {"spec": {**DOC["spec"], "containers": [{"name": "c0"}]}}),
    ("empty patch", [], {}),
]


@pytest.mark.parametrize(("ops", "changes"), [c[1:] for c in OK_CASES], ids=[c[0] for c in OK_CASES])
def test_applies(ops: list, changes: dict) -> None:
    before = copy.deepcopy(DOC)
    assert apply_json_patch(DOC, ops) == {**DOC, **changes}
    assert before == DOC  # never mutates its input


def test_replace_whole_document() -> None:
    assert apply_json_patch(DOC, [{"op": "replace", "path": "", "value": {"x": 1}}]) == {"x": 1}


def test_copied_values_are_independent() -> None:
    out = apply_json_patch({"a": {"b": 1}}, [{"op": "copy", "from": "/a", "path": "/c"},
                                            {"op": "replace", "path": "/c/b", "value": 2}])
    assert out == {"a": {"b": 1}, "c": {"b": 2}}


def test_true_is_not_one() -> None:
    with pytest.raises(PatchError):
        apply_json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": True}])


ERROR_CASES = [
    ("test fails", [{"op": "test", "path": "/metadata/labels/a", "value": "2"}], 422,
     "testing value /metadata/labels/a failed: test failed"),
    ("test on missing member", [{"op": "test", "path": "/spec/x", "value": 1}], 422,
     "testing value /spec/x failed: test failed"),
    ("test under missing parent", [{"op": "test", "path": "/nope/x", "value": 1}], 422,
     "test operation does not apply: is missing path: /nope/x: missing value"),
    ("replace missing key", [{"op": "replace", "path": "/spec/x", "value": 1}], 422,
     "replace operation does not apply: doc is missing key: /spec/x: missing value"),
    ("replace under missing parent", [{"op": "replace", "path": "/status/x", "value": 1}], 422,
     "replace operation does not apply: doc is missing path: /status/x: missing value"),
    ("replace array index out of range", [{"op": "replace", "path": "/spec/containers/5", "value": 1}], 422,
     "replace operation does not apply: doc is missing key: /spec/containers/5: missing value"),
    ("add under missing parent", [{"op": "add", "path": "/status/phase", "value": "x"}], 422,
     'add operation does not apply: doc is missing path: "/status/phase": missing value'),
    ("add past the end", [{"op": "add", "path": "/spec/containers/3", "value": 1}], 422,
     "error in add for path: '/spec/containers/3': Unable to access invalid index: 3: "
     "invalid index referenced"),
    ("add with a non-index", [{"op": "add", "path": "/spec/containers/x", "value": 1}], 422,
     "error in add for path: '/spec/containers/x': value was not a proper array index: 'x': "
     'strconv.Atoi: parsing "x": invalid syntax'),
    ("remove missing key", [{"op": "remove", "path": "/spec/x"}], 422,
     "error in remove for path: '/spec/x': Unable to remove nonexistent key: x: missing value"),
    ("remove index out of range", [{"op": "remove", "path": "/spec/containers/2"}], 422,
     "error in remove for path: '/spec/containers/2': Unable to access invalid index: 2: "
     "invalid index referenced"),
    ("move from missing", [{"op": "move", "from": "/spec/x", "path": "/spec/y"}], 422,
     "error in move for path: 'x': Unable to remove nonexistent key: x: missing value"),
    ("move into its own child", [{"op": "move", "from": "/spec", "path": "/spec/inner"}], 422,
     "move operation does not apply: doc is missing destination path: /spec/inner: missing value"),
    ("copy from missing", [{"op": "copy", "from": "/spec/x", "path": "/spec/y"}], 422,
     "error in copy for from: '/spec/x': Unable to get nonexistent key: x: missing value"),
    ("unknown op", [{"op": "frobnicate", "path": "/a"}], 422, "Unexpected kind: frobnicate"),
    ("missing op", [{"path": "/a"}], 422, "Unexpected kind: unknown"),
    ("missing path", [{"op": "remove"}], 422, "remove operation failed to decode path: missing value"),
    ("missing from", [{"op": "move", "path": "/a"}], 422,
     "move operation failed to decode from: operation, missing from field: missing value"),
    ("a failing op aborts the whole patch", [{"op": "add", "path": "/a", "value": 1},
                                             {"op": "remove", "path": "/b"}], 422,
     "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value"),
    ("body is an object", {"op": "add", "path": "/a", "value": 1}, 400,
     "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
    ("body is null", None, 400, "json: cannot unmarshal null into Go value of type jsonpatch.Patch"),
    ("op is not an object", ["add"], 400,
     "json: cannot unmarshal string into Go value of type jsonpatch.Operation"),
    ("path is not a string", [{"op": "add", "path": 5, "value": 1}], 400,
     "json: cannot unmarshal number into Go value of type string"),
]


@pytest.mark.parametrize(("ops", "code", "message"), [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_errors(ops: object, code: int, message: str) -> None:
    with pytest.raises(PatchError) as err:
        apply_json_patch(DOC, ops)
    assert (err.value.code, err.value.message) == (code, message)
