from __future__ import annotations

import base64
import datetime as dt

import orjson
from cryptography import x509

from kruise.webhooks.certs import from_secret, issue, to_secret_data
from kruise.webhooks.server import allow, deny, mutate, review_response

REQUEST = {"uid": "123", "object": {"metadata": {"name": "p", "labels": {"a": "1"}}}}


def test_allowed_without_changes() -> None:
    out = review_response(REQUEST, allow(["careful"]))
    assert out == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "123", "allowed": True, "warnings": ["careful"]},
    }


def test_mutation_becomes_json_patch() -> None:
    changed = {"metadata": {"name": "p", "labels": {"a": "1", "b": "2"}}}
    response = review_response(REQUEST, mutate(changed))["response"]
    assert response["patchType"] == "JSONPatch"
    assert orjson.loads(base64.b64decode(response["patch"])) == [
        {"op": "add", "path": "/metadata/labels/b", "value": "2"}
    ]


def test_denial_carries_status() -> None:
    response = review_response(REQUEST, deny("no pods named p", code=422, reason="Invalid"))["response"]
    assert response == {
        "uid": "123",
        "allowed": False,
        "status": {"code": 422, "message": "no pods named p", "reason": "Invalid", "status": "Failure"},
    }


def test_issued_certificate_chain_and_names() -> None:
    bundle = issue(["svc.ns.svc"], ["127.0.0.1"], validity=dt.timedelta(days=2))
    cert = x509.load_pem_x509_certificate(bundle.cert_pem)
    ca = x509.load_pem_x509_certificate(bundle.ca_pem)
    assert cert.issuer == ca.subject
    cert.verify_directly_issued_by(ca)
    assert bundle.covers(["svc.ns.svc"], ["127.0.0.1"])
    assert not bundle.covers(["other.ns.svc"], [])
    remaining = bundle.not_after - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=1, hours=23) < remaining <= dt.timedelta(days=2)


def test_reissue_keeps_the_ca_and_round_trips_through_a_secret() -> None:
    first = issue(["a"], [], validity=dt.timedelta(days=1))
    second = issue(["a"], [], validity=dt.timedelta(days=1), ca=(first.ca_pem, first.ca_key_pem))
    assert second.ca_pem == first.ca_pem and second.cert_pem != first.cert_pem
    assert from_secret({"data": to_secret_data(second)}) == second
    assert from_secret({"data": {}}) is None
