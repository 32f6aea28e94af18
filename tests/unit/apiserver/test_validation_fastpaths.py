"""Validation's fast paths agree with the plain computations they stand in for.

Memoized string checks, cached quantities, the memos of whole sub-objects that passed (by their
exact JSON), QoS by resources, and the subtree-by-subtree spec comparison of pod updates are each
checked against the straightforward computation, on fixed cases and on generated ones.
"""

import copy
import math
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kruise.api.selectors import qualified_name_errors
from kruise.apiserver.defaults import apply_builtin_defaults
from kruise.apiserver.validation import (
    meta,
    pod,
    quantity,
    validate_create,
    validate_pod_create,
    validate_pod_update,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = [
    "app",
    "a-b",
    "A",
    "-x",
    "x-",
    "a.b",
    "",
    "x" * 63,
    "x" * 64,
    "x" * 254,
    "my.domain/key",
    "a/b/c",
    "/x",
    "ex.com/",
    "E=1",
    "é",
    "\x01",
    " x",
    "a--b",
    "123",
    "Ab_c.d",
    "Ex.com/Ab",
    ".",
    "..",
    "a%b",
    "http",
]
CHECKS = [
    meta.dns1123_label_msgs,
    meta.dns1123_subdomain_msgs,
    meta.dns1035_label_msgs,
    meta.qualified_name_msgs,
    meta.label_value_msgs,
    pod._port_name_msgs,
    pod._env_name_msgs,
]
name_text = st.text(alphabet="aAz09-._/%= é\x01", max_size=70)


def outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:
        return type(exc), str(exc)


def msgs(errs):
    return [(e.type, e.field, e.detail, repr(e.value), str(e)) for e in errs]


# -- memoized string checks and quantities ---------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("value", NAMES)
def test_memoized_checks_agree_with_the_uncached_ones(check, value):
    expected = check.uncached(value)
    assert list(check(value)) == expected
    assert list(check(value)) == expected  # a cache hit


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("value", [None, 5, ["a"], {"a": 1}, b"app"])
def test_memoized_checks_take_odd_input_the_old_way(check, value):
    assert outcome(check, value) == outcome(check.uncached, value)


@SETTINGS
@given(name_text)
def test_memoized_checks_agree_on_generated_names(value):
    for check in CHECKS:
        assert list(check(value)) == check.uncached(value)


def test_public_checks_return_a_fresh_list():
    first = meta.is_qualified_name("a/b/c")
    first.append("changed by the caller")
    assert meta.is_qualified_name("a/b/c") == qualified_name_errors("a/b/c")
    assert meta.is_dns1123_label("Bad") is not meta.is_dns1123_label("Bad")


QUANTITIES = ["100m", "1", "1Gi", "128Mi", "-1", "1.5", "abc", "1e3", "1E-3", " 1", "0", "", "1Ki", "+1"]


@pytest.mark.parametrize("raw", [*QUANTITIES, "0.0000000001", "1.5Gi", "12e-1", "1k", "1Mi"])
def test_cached_quantities_agree_with_parsing(raw):
    for _ in range(2):  # the second time comes from the cache
        assert outcome(quantity.parse_quantity, raw) == outcome(quantity._parse_text, raw)
    if outcome(quantity._parse_text, raw).__class__ is quantity.Quantity:
        q = quantity.parse_quantity(raw)
        assert str(q) == quantity._canonical(q)


@SETTINGS
@given(st.from_regex(r"\A[+-]?[0-9.]{1,6}[eEinumkKMGTP]{0,2}[-+]?[0-9]{0,2}\Z"))
def test_cached_quantities_agree_on_generated_text(raw):
    for _ in range(2):
        assert outcome(lambda r: str(quantity.parse_quantity(r)), raw) == outcome(
            lambda r: str(quantity._parse_text(r)), raw
        )


# -- JSON keys ---------------------------------------------------------------------------------------


class Sub(str):
    pass


@pytest.mark.parametrize(
    "value", [None, {"a": None}, [float("nan")], {"x": float("inf")}, [2**70], {"a": Sub("x")}, {1: "a"}]
)
def test_json_key_refuses_what_json_would_not_give_back(value):
    assert meta.json_key(value) is None


def test_json_key_tells_types_apart():
    keys = {meta.json_key({"a": v}) for v in (1, 1.0, True, "1", [1], {"1": 1})}
    assert len(keys) == 6
    assert meta.json_key({"a": [1, "x"]}) == meta.json_key({"a": [1, "x"]})


def test_memo_is_bounded_and_forgets_the_oldest():
    memo = meta.Memo(3)
    for i in range(5):
        memo.put(i, str(i))
    assert [memo.get(i) for i in range(5)] == [None, None, "2", "3", "4"]


# -- pods: generated objects ---------------------------------------------------------------------------

LEAVES = [None, False, True, 0, 1, 1.0, 0.0, -1, "", "x", "1", "1000m", "100m", [], {}, [0], {"a": None}]
KEYS = ["limits", "requests", "cpu", "memory", "image", "name", "a", "b"]

json_values = st.recursive(
    st.sampled_from(LEAVES),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def related(draw, base):
    """`base` with a few leaves swapped, keys dropped or reordered (a likely update)."""

    def twist(value):
        if isinstance(value, dict):
            items = [(k, twist(v)) for k, v in value.items() if draw(st.integers(0, 9)) != 0]
            if draw(st.booleans()):
                items.reverse()
            return dict(items)
        if isinstance(value, list):
            return [twist(v) for v in value]
        if draw(st.integers(0, 4)) == 0:
            return draw(st.sampled_from(LEAVES))
        return value

    return twist(copy.deepcopy(base))


@st.composite
def value_pairs(draw):
    a = draw(json_values)
    b = draw(st.one_of(st.just(copy.deepcopy(a)), related(a), json_values))
    return a, b


@SETTINGS
@given(value_pairs())
def test_norm_equal_agrees_with_normalizing_both(pair):
    a, b = pair
    spec_a, spec_b = {"containers": a}, {"containers": b}
    assert pod._norm_equal(spec_a, spec_b) == (pod._normalize(spec_a) == pod._normalize(spec_b))
    assert pod._norm_equal(a, b) == (pod._normalize(a) == pod._normalize(b))
    if pod._same(a, b):
        assert pod._normalize(a) == pod._normalize(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"x": False}, {"x": 0}),  # equal in Python, but _normalize drops only False
        ({"limits": {"cpu": True}}, {"limits": {"cpu": 1}}),
        ({"limits": {"cpu": 1}}, {"limits": {"cpu": 1.0}}),
        ({"limits": {"cpu": "1"}}, {"limits": {"cpu": "1000m"}}),
        ({"x": None, "y": []}, {"z": {}}),
        ({"x": [None]}, {"x": []}),
        ({"x": float("nan")}, {"x": float("nan")}),
        ({"x": [{"a": False}]}, {"x": [{}]}),
        ({"requests": {"cpu": None}}, {"requests": {}}),
    ],
)
def test_norm_equal_on_tricky_values(a, b):
    assert pod._norm_equal(a, b) == (pod._normalize(a) == pod._normalize(b))
    assert pod._norm_equal(b, a) == (pod._normalize(b) == pod._normalize(a))


def test_same_is_strict_about_types():
    assert not pod._same({"a": False}, {"a": 0})
    assert not pod._same([1], [1.0])
    assert not pod._same([float("nan")], [float("nan")])
    assert pod._same({"a": [1, {"b": "c"}]}, {"a": [1, {"b": "c"}]})


def base_pod():
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "bench", "labels": {"app": "x", "tier": "web"}},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": f"E{i}", "value": "v"} for i in range(3)],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "1", "memory": "256Mi"},
                    },
                    "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
                },
                {"name": "side", "image": "busybox", "command": ["sh", "-c", "sleep 1d"]},
            ]
        },
    }
    apply_builtin_defaults("", "pods", obj)
    return obj


POD_LEAVES = [
    *LEAVES,
    "nginx:2",
    " y",
    80,
    8080,
    70000,
    "TCP",
    "XX",
    "Always",
    "Never",
    "A=B",
    "Bad Name",
    "app",
    "side",
    "a/b/c",
    "NoExecute",
    "Exists",
    "/v",
]


@st.composite
def pod_changes(draw, obj):
    """`obj` with a few changes a client might make, valid or not."""
    new = copy.deepcopy(obj)
    spec = new["spec"]
    for _ in range(draw(st.integers(0, 4))):
        change = draw(st.integers(0, 10))
        ctrs = spec.get("containers") if isinstance(spec.get("containers"), list) else []
        ctr = draw(st.sampled_from(ctrs)) if ctrs and isinstance(ctrs[0], dict) else None
        if change == 0 and ctr is not None:
            ctr["image"] = draw(st.sampled_from(["nginx:2", "", " y", None, "busybox"]))
        elif change == 1:
            spec.setdefault("tolerations", []).append(
                {
                    "key": draw(st.sampled_from(["b", "", "Bad Key"])),
                    "operator": "Exists",
                    "effect": "NoExecute",
                }
            )
        elif change == 2:
            spec["activeDeadlineSeconds"] = draw(st.sampled_from([None, 0, 10, 20, -5, True]))
        elif change == 3:
            spec["terminationGracePeriodSeconds"] = draw(st.sampled_from([30, -1, 1, 0, None, True]))
        elif change == 4 and ctr is not None:
            res = ctr.setdefault("resources", {})
            if isinstance(res, dict):
                part = res.setdefault(draw(st.sampled_from(["limits", "requests"])), {})
                if isinstance(part, dict):
                    part[draw(st.sampled_from(["cpu", "memory", "example.com/gpu", "bogus"]))] = draw(
                        st.sampled_from([*QUANTITIES, 1, 1.0, True, None, 0.5])
                    )
        elif change == 5:
            spec["schedulingGates"] = [{"name": draw(st.sampled_from(["g", "ex.com/g", "Bad Name"]))}]
        elif change == 6:
            spec["nodeSelector"] = {draw(st.sampled_from(NAMES)): draw(st.sampled_from(NAMES))}
        elif change == 7 and ctr is not None:
            ctr[draw(st.sampled_from(["ports", "env", "restartPolicy", "volumeMounts", "name"]))] = draw(
                st.sampled_from(POD_LEAVES)
            )
        elif change == 8 and ctr is not None and isinstance(ctr.setdefault("ports", []), list):
            ctr["ports"].append(
                {
                    "containerPort": draw(st.sampled_from([80, 81, 0])),
                    "hostPort": draw(st.sampled_from([0, 80])),
                }
            )
        elif change == 9:
            spec[
                draw(
                    st.sampled_from(["hostname", "nodeName", "dnsPolicy", "restartPolicy", "initContainers"])
                )
            ] = draw(st.sampled_from(POD_LEAVES))
        elif change == 10 and ctrs:
            spec["containers"] = [*ctrs, copy.deepcopy(draw(st.sampled_from(ctrs)))]
    if draw(st.booleans()):
        new["status"] = {"qosClass": draw(st.sampled_from(["Burstable", "BestEffort", "Guaranteed"]))}
    return new


def reference_update(new, old):
    """validate_pod_update as written before its fast paths: whole specs normalized and deep-copied."""
    errs = pod._validate_pod_spec(new.get("spec") or {})
    nspec, ospec = new.get("spec") or {}, old.get("spec") or {}
    for key, path in (("containers", "spec.containers"), ("initContainers", "spec.initContainers")):
        cerrs, stop = pod._validate_container_updates(nspec.get(key) or [], ospec.get(key) or [], path)
        errs.extend(cerrs)
        if stop:
            return pod._dedupe(errs)
    new_ads, old_ads = nspec.get("activeDeadlineSeconds"), ospec.get("activeDeadlineSeconds")
    if new_ads is not None:
        if not isinstance(new_ads, int) or new_ads < 0 or new_ads > pod.MAX_INT32:
            errs.append(
                pod.invalid(
                    "spec.activeDeadlineSeconds", new_ads, pod.inclusive_range_error(0, pod.MAX_INT32)
                )
            )
            return pod._dedupe(errs)
        if old_ads is not None and old_ads < new_ads:
            errs.append(
                pod.invalid(
                    "spec.activeDeadlineSeconds", new_ads, "must be less than or equal to previous value"
                )
            )
            return pod._dedupe(errs)
    elif old_ads is not None:
        errs.append(
            pod.invalid(
                "spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"
            )
        )
    errs.extend(
        pod._validate_only_added_tolerations(nspec.get("tolerations") or [], ospec.get("tolerations") or [])
    )
    old_gates = {g.get("name") for g in ospec.get("schedulingGates") or []}
    for gate in nspec.get("schedulingGates") or []:
        if gate.get("name") not in old_gates:
            errs.append(
                pod.forbidden(
                    "spec.schedulingGates",
                    f"only deletion is allowed, but found new scheduling gate '{gate.get('name')}'",
                )
            )
    norm_old, norm_new = pod._normalize(ospec), pod._normalize(nspec)
    if norm_old == norm_new:
        return pod._dedupe(errs)
    stored = (old.get("status") or {}).get("qosClass") or pod._compute_qos(old.get("spec") or {})
    if stored != pod._compute_qos(new.get("spec") or {}):
        errs.append(
            pod.invalid("metadata", (new.get("status") or {}).get("qosClass") or "", "Pod QoS is immutable")
        )
    munged = copy.deepcopy(nspec)
    for key in ("containers", "initContainers"):
        for ctr, old_ctr in zip(munged.get(key) or [], ospec.get(key) or [], strict=False):
            ctr["image"] = old_ctr.get("image")
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in ospec:
            munged[key] = ospec[key]
    old_tgps, new_tgps = (
        ospec.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_tgps, int) and old_tgps < 0 and new_tgps == 1:
        munged["terminationGracePeriodSeconds"] = old_tgps
    if ospec.get("schedulingGates"):
        old_sel, new_sel = ospec.get("nodeSelector") or {}, munged.get("nodeSelector") or {}
        if all(new_sel.get(k) == v for k, v in old_sel.items()):
            munged.pop("nodeSelector", None)
            if "nodeSelector" in ospec:
                munged["nodeSelector"] = ospec["nodeSelector"]
    norm_munged = pod._normalize(munged)
    if norm_munged != norm_old:
        detail = pod.UPDATABLE_POD_SPEC_FIELDS + "\n" + pod._spec_diff(norm_old, norm_munged)
        errs.append(pod.forbidden("spec", detail))
    return pod._dedupe(errs)


@SETTINGS
@given(st.data())
def test_update_fast_path_agrees_with_normalizing_everything(data):
    old = data.draw(pod_changes(base_pod()))
    new = data.draw(pod_changes(old))
    assert outcome(lambda: msgs(validate_pod_update(new, old))) == outcome(
        lambda: msgs(reference_update(new, old))
    )


def test_update_of_the_image_only_takes_the_fast_path():
    old = base_pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert pod._plain_specs(new["spec"], old["spec"])
    assert validate_pod_update(new, old) == []
    new["spec"]["containers"][0]["ports"][0]["containerPort"] = 81
    [err] = validate_pod_update(new, old)
    assert err.field == "spec" and err.type == "Forbidden"
    assert "+ \tContainers: " in str(err)


def no_memos(fn, *args):
    """`fn(*args)` with every memo of whole sub-objects turned off (their keys are never made)."""
    with (
        mock.patch.object(pod, "json_key", lambda _: None),
        mock.patch.object(meta, "json_key", lambda _: None),
    ):
        return fn(*args)


@SETTINGS
@given(st.data())
def test_memos_never_change_create_results(data):
    # the memos are warm from earlier examples: pods that share containers, labels, tolerations
    obj = data.draw(pod_changes(base_pod()))

    def create_all(o):
        return validate_create("", "pods", o, namespaced=True)

    for _ in range(2):
        assert outcome(lambda: msgs(validate_pod_create(obj))) == outcome(
            lambda: msgs(no_memos(validate_pod_create, obj))
        )
        assert outcome(lambda: msgs(create_all(obj))) == outcome(lambda: msgs(no_memos(create_all, obj)))
        assert outcome(pod.compute_qos, obj) == outcome(lambda o: pod._compute_qos(o.get("spec") or {}), obj)


def test_identical_containers_still_clash():
    obj = base_pod()
    obj["spec"]["containers"].append(copy.deepcopy(obj["spec"]["containers"][0]))
    obj["spec"]["containers"][0]["ports"][0]["hostPort"] = 80
    obj["spec"]["containers"][2]["ports"][0]["hostPort"] = 80
    for _ in range(2):  # the second time every container comes from the memo
        assert [str(e) for e in validate_pod_create(obj)] == [
            'spec.containers[2].name: Duplicate value: "app"',
            'spec.containers[2].ports[0].hostPort: Duplicate value: "TCP//80"',
        ]


def test_a_container_that_passed_is_checked_again_against_other_volumes():
    obj = base_pod()
    obj["spec"]["volumes"] = [{"name": "v", "emptyDir": {}}]
    obj["spec"]["containers"][0]["volumeMounts"] = [{"name": "v", "mountPath": "/v"}]
    assert validate_pod_create(obj) == []
    obj["spec"]["volumes"] = [{"name": "w", "emptyDir": {}}]
    assert [str(e) for e in validate_pod_create(obj)] == [
        'spec.containers[0].volumeMounts[0].name: Not found: "v"'
    ]


def test_an_image_change_reuses_the_container_memo_but_a_missing_image_does_not():
    obj = base_pod()
    assert validate_pod_create(obj) == []
    obj["spec"]["containers"][0]["image"] = "nginx:9"
    assert validate_pod_create(obj) == []
    obj["spec"]["containers"][0]["image"] = ""
    assert [str(e) for e in validate_pod_create(obj)] == ["spec.containers[0].image: Required value"]


def test_nan_and_odd_values_bypass_the_memos():
    obj = base_pod()
    obj["spec"]["containers"][0]["resources"]["limits"]["cpu"] = float("nan")
    errs = [str(e) for e in validate_pod_create(obj)]
    assert errs == [
        "spec.containers[0].resources.limits[cpu]: Invalid value: NaN: quantities must match the regular "
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    ]
    assert math.isnan(obj["spec"]["containers"][0]["resources"]["limits"]["cpu"])
