"""The JSONPath subset used by CRD printer columns, and Table cells per column type."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kruise.apiserver.jsonpath import (
    JSONPathError,
    compile_path,
    evaluate,
    human_duration,
    printer_cell,
    validate_column_path,
)

OBJ = {
    "metadata": {"name": "demo", "labels": {"app.kubernetes.io/name": "web"}},
    "spec": {
        "replicas": 3,
        "paused": False,
        "containers": [{"name": "main", "image": "nginx:1"}, {"name": "side", "image": "busybox"}],
        "weird key": 1,
    },
    "status": {
        "conditions": [
            {"type": "Ready", "status": "True", "n": 1},
            {"type": "Synced", "status": "False", "n": 2},
        ],
        "updatedReplicas": 2,
    },
    "items": [{"name": "a"}, {"name": "b"}, {"other": 1}],
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (".spec.replicas", [3]),
        (".spec.paused", [False]),
        (".spec.missing", []),
        (".spec.replicas.deeper", []),
        ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
        (".status.conditions[?(@.type=='Synced')].status", ["False"]),
        ('.status.conditions[?(@.type!="Ready")].type', ["Synced"]),
        (".status.conditions[?(@.n>1)].type", ["Synced"]),
        ('.status.conditions[?(@.type == "Nope")].status', []),
        (".spec.containers[0].image", ["nginx:1"]),
        (".spec.containers[-1].name", ["side"]),
        (".spec.containers[5].name", []),
        (".spec.containers[*].name", ["main", "side"]),
        (".spec.containers[0:1].name", ["main"]),
        (".items[*].name", ["a", "b"]),
        (".items[?(@.other)].other", [1]),
        (".metadata.labels['app.kubernetes.io/name']", ["web"]),
        ('.metadata.labels["app.kubernetes.io/name"]', ["web"]),
        (r".metadata.labels.app\.kubernetes\.io/name", ["web"]),
        (".spec['weird key']", [1]),
        ("{.metadata.name}", ["demo"]),
        ("$.metadata.name", ["demo"]),
        (".spec.containers..name", ["main", "side"]),
        (".", [OBJ]),
    ],
)
def test_evaluate(expr: str, expected: list) -> None:
    assert evaluate(expr, OBJ) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (".spec[", "unterminated array"),
        (".spec[abc]", "invalid array index abc"),
        ("{.spec", "unclosed action"),
        (".a b", "unrecognized character in action: U+0020 ' '"),
        (".a[?(@.x==)]", "unrecognized filter operand at ')]'"),
        (".a['x]", "unterminated quoted string"),
        ("", "empty path"),
    ],
)
def test_compile_errors(expr: str, message: str) -> None:
    with pytest.raises(JSONPathError) as exc:
        compile_path(expr)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (".spec.replicas", None),
        ("", "must not be empty"),
        ("spec.replicas", "must be a simple json path starting with ."),
        (".spec[", "must be a valid JSONPath: unterminated array"),
    ],
)
def test_validate_column_path(path: str, detail: str | None) -> None:
    assert validate_column_path(path) == detail


NOW = dt.datetime(2024, 1, 10, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("values", "column_type", "cell"),
    [
        ([], "string", None),
        ([None], "string", None),
        (["x", "y"], "string", "x"),  # only the first result counts
        ([3], "string", "3"),
        ([True], "string", "true"),
        ([1e6], "string", "1e+06"),
        ([{"a": 1}], "string", '{"a":1}'),
        ([["a", "b"]], "string", '["a","b"]'),
        ([3], "integer", 3),
        ([3.9], "integer", 3),
        (["3"], "integer", None),
        ([True], "integer", None),
        ([3], "number", 3.0),
        ([2.5], "number", 2.5),
        ([False], "boolean", False),
        (["true"], "boolean", None),
        ([1], "string", "1"),
        (["2024-01-10T11:55:00Z"], "date", "5m"),
        (["2024-01-08T12:00:00Z"], "date", "2d"),
        (["nope"], "date", "<invalid>"),
        ([5], "date", None),
    ],
)
def test_printer_cell(values: list, column_type: str, cell: object) -> None:
    assert printer_cell(values, column_type, now=NOW) == cell


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60 * 5, "3h5m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (800 * 86400, "2y70d"),
        (365 * 3 * 86400, "3y"),
        (365 * 9 * 86400, "9y"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(dt.timedelta(seconds=seconds)) == text


_keys = st.sampled_from(["a", "b", "c_d", "e-f"])
_docs = st.recursive(
    st.integers() | st.text(max_size=3) | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@given(_docs, st.lists(_keys, min_size=1, max_size=4))
def test_dot_path_agrees_with_plain_lookup(doc: object, keys: list[str]) -> None:
    expected: list = []
    cur = doc
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            break
        cur = cur[k]
    else:
        expected = [cur]
    assert evaluate("." + ".".join(keys), doc) == expected
    assert evaluate("".join(f"['{k}']" for k in keys), doc) == expected
