from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kruise.api.jsondiff import json_patch
from kruise.apiserver.patch import apply_json_patch


@pytest.mark.parametrize(
    ("a", "b", "ops"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": 2}, [{"op": "replace", "path": "/a", "value": 2}]),
        ({"a": 1}, {}, [{"op": "remove", "path": "/a"}]),
        ({}, {"x/y": {"~": 1}}, [{"op": "add", "path": "/x~1y", "value": {"~": 1}}]),
        ({"l": [1, 2]}, {"l": [1, 2, 3]}, [{"op": "add", "path": "/l/-", "value": 3}]),
        ({"l": [1, 2]}, {"l": [2]}, [{"op": "replace", "path": "/l", "value": [2]}]),
        (
            {"m": {"k": "v"}},
            {"m": {"k": "w", "n": 1}},
            [{"op": "replace", "path": "/m/k", "value": "w"}, {"op": "add", "path": "/m/n", "value": 1}],
        ),
    ],
)
def test_json_patch_ops(a: object, b: object, ops: list) -> None:
    assert json_patch(a, b) == ops


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(st.text(max_size=4), json_values, max_size=5),
    st.dictionaries(st.text(max_size=4), json_values, max_size=5),
)
def test_applying_the_diff_gives_the_target(a: dict, b: dict) -> None:
    assert apply_json_patch(a, json_patch(a, b)) == b
