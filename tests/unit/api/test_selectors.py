# ruff: noqa: E501  (exact upstream messages read best unsplit)
"""Label and field selectors: parsing, canonical text, matching and kube's error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kruise.api.selectors import (
    LabelSelector,
    SelectorError,
    label_selector_from_dict,
    parse_field_selector,
    parse_label_selector,
)

QNAME_HELP = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
VALUE_HELP = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("a=b", "a=b"),
        ("a==b", "a==b"),
        ("a!=b", "a!=b"),
        (" x = y , a = b ", "a=b,x=y"),
        ("env in (prod, dev)", "env in (dev,prod)"),
        ("env notin (qa)", "env notin (qa)"),
        ("tier", "tier"),
        ("!tier", "!tier"),
        ("a in ()", "a in ()"),
        ("a in (,b)", "a in (,b)"),
        ("a=", "a="),
        ("n>3,m<10", "m<10,n>3"),
        ("example.com/app=web", "example.com/app=web"),
        ("a in(x),in=notin", "a in (x),in=notin"),
    ],
)
def test_parse_canonical(text: str, canonical: str) -> None:
    assert str(parse_label_selector(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a@b=c", f'unable to parse requirement: <nil>: Invalid value: "a@b": {QNAME_HELP}'),
        ("k=v@", f'unable to parse requirement: values[0][k]: Invalid value: "v@": {VALUE_HELP}'),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a in x", "unable to parse requirement: found 'x' expected: '('"),
        ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        (
            "a>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ("/a=b", 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'),
        (
            "a" * 64 + "=b",
            f'unable to parse requirement: <nil>: Invalid value: "{"a" * 64}": name part must be no more than 63 characters',
        ),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as exc:
        parse_label_selector(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("", {}, True),
        ("", None, True),
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a=b", {}, False),
        ("a!=b", {}, True),
        ("a!=b", {"a": "b"}, False),
        ("a in (x,y)", {"a": "y"}, True),
        ("a in (x,y)", {}, False),
        ("a notin (x,y)", {}, True),
        ("a notin (x,y)", {"a": "x"}, False),
        ("a", {"a": ""}, True),
        ("!a", {"a": ""}, False),
        ("!a", {"b": "1"}, True),
        ("a>3", {"a": "4"}, True),
        ("a>3", {"a": "3"}, False),
        ("a<3", {"a": "x"}, False),
        ("a=b,c", {"a": "b"}, False),
        ("a=b,c", {"a": "b", "c": "1"}, True),
        ("a=", {"a": ""}, True),
    ],
)
def test_label_matching(text: str, labels: dict | None, matches: bool) -> None:
    assert parse_label_selector(text).matches(labels) is matches


@pytest.mark.parametrize(
    ("sel", "labels", "matches", "text"),
    [
        (None, {"a": "b"}, False, ""),
        (None, {}, False, ""),
        ({}, {"a": "b"}, True, ""),
        ({"matchLabels": {}}, {}, True, ""),
        ({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"}, True, "app=web"),
        ({"matchLabels": {"app": "web"}}, {"app": "db"}, False, "app=web"),
        (
            {
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["a", "b"]},
                    {"key": "x", "operator": "DoesNotExist"},
                ]
            },
            {"tier": "b"},
            True,
            "tier in (a,b),!x",
        ),
        ({"matchExpressions": [{"key": "t", "operator": "Exists"}]}, {"t": ""}, True, "t"),
        (
            {"matchExpressions": [{"key": "t", "operator": "NotIn", "values": ["a"]}]},
            {"t": "a"},
            False,
            "t notin (a)",
        ),
    ],
)
def test_from_dict(sel: dict | None, labels: dict, matches: bool, text: str) -> None:
    s = label_selector_from_dict(sel)
    assert s.matches(labels) is matches
    assert str(s) == text
    assert s.empty() is (sel is not None and text == "")


@pytest.mark.parametrize(
    ("sel", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Bogus"}]},
            '"Bogus" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
        ),
        ({"matchLabels": {"a b": "c"}}, f'key: Invalid value: "a b": {QNAME_HELP}'),
    ],
)
def test_from_dict_errors(sel: dict, message: str) -> None:
    with pytest.raises(SelectorError) as exc:
        label_selector_from_dict(sel)
    assert str(exc.value) == message


_key = st.builds(
    lambda prefix, name: f"{prefix}/{name}" if prefix else name,
    st.sampled_from(["", "example.com", "apps.kruise.io"]),
    st.sampled_from(["a", "app", "tier", "in", "notin", "x-y", "A.b_c"]),
)
_val = st.sampled_from(["", "a", "web", "v1.2", "My_Value", "123"])
_nonempty_val = _val.filter(bool)


@st.composite
def _selectors(draw: st.DrawFn) -> str:
    terms = []
    for _ in range(draw(st.integers(0, 4))):
        key = draw(_key)
        kind = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!"]))
        if kind in ("in", "notin"):
            vals = draw(st.lists(_nonempty_val, min_size=1, max_size=3))  # "(,,)" is invalid in kube too
            terms.append(f"{key} {kind} ({','.join(vals)})")
        elif kind == "exists":
            terms.append(key)
        elif kind == "!":
            terms.append("!" + key)
        else:
            terms.append(f"{key}{kind}{draw(_val)}")
    return ", ".join(terms)


@given(_selectors())
def test_canonical_text_reparses_to_equal_selector(text: str) -> None:
    sel = parse_label_selector(text)
    again = parse_label_selector(str(sel))
    assert again == sel
    assert str(again) == str(sel)


@given(_selectors(), st.dictionaries(_key, _val, max_size=4))
def test_canonical_text_matches_the_same(text: str, labels: dict[str, str]) -> None:
    sel = parse_label_selector(text)
    assert parse_label_selector(str(sel)).matches(labels) == sel.matches(labels)


def test_nothing_selector() -> None:
    assert LabelSelector(nothing=True).empty() is False
    assert LabelSelector().empty() is True


# ---------------------------------------------------------------------------------------------
# field selectors


@pytest.mark.parametrize(
    ("text", "requirements", "canonical"),
    [
        ("", (), ""),
        ("metadata.name=foo", (("metadata.name", "=", "foo"),), "metadata.name=foo"),
        ("metadata.name==foo", (("metadata.name", "=", "foo"),), "metadata.name=foo"),
        (
            "status.phase!=Running,metadata.namespace=default",
            (("metadata.namespace", "=", "default"), ("status.phase", "!=", "Running")),
            "metadata.namespace=default,status.phase!=Running",
        ),
        ("spec.nodeName=", (("spec.nodeName", "=", ""),), "spec.nodeName="),
        (r"a=x\,y\=z\\w", (("a", "=", "x,y=z\\w"),), r"a=x\,y\=z\\w"),
        ("a=b,,c=d", (("a", "=", "b"), ("c", "=", "d")), "a=b,c=d"),
    ],
)
def test_field_selector_parse(text: str, requirements: tuple, canonical: str) -> None:
    sel = parse_field_selector(text)
    assert sel.requirements == requirements
    assert str(sel) == canonical
    assert parse_field_selector(str(sel)) == sel


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        (r"a=b\x", r"invalid field selector: invalid escape sequence: \x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_field_selector_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as exc:
        parse_field_selector(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("text", "fields", "matches"),
    [
        ("metadata.name=a", {"metadata.name": "a"}, True),
        ("metadata.name=a", {"metadata.name": "b"}, False),
        ("spec.nodeName=", {}, True),  # a missing field reads as ""
        ("spec.nodeName!=", {"spec.nodeName": "n1"}, True),
        ("a=1,b!=2", {"a": "1", "b": "3"}, True),
        ("a=1,b!=2", {"a": "1", "b": "2"}, False),
    ],
)
def test_field_selector_matching(text: str, fields: dict, matches: bool) -> None:
    assert parse_field_selector(text).matches(fields) is matches


def test_field_selector_fields() -> None:
    sel = parse_field_selector("a=1,b!=2,a!=3")
    assert sel.fields() == {"a", "b"}
    assert sel.requires_exact("a") == "1"
    assert sel.requires_exact("b") is None


@given(
    st.lists(
        st.tuples(st.from_regex(r"\A[a-z]+(\.[a-z]+)?\Z"), st.sampled_from(["=", "!="]), st.text(max_size=6)),
        max_size=4,
    )
)
def test_field_selector_round_trip(reqs: list[tuple[str, str, str]]) -> None:
    from kruise.api.selectors import escape_field_value

    text = ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in reqs)
    sel = parse_field_selector(text)
    assert sorted(sel.requirements) == sorted(reqs)
    assert parse_field_selector(str(sel)) == sel
