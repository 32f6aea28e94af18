"""Admission webhooks called by the API server over real HTTPS, as kube-apiserver calls them."""

from __future__ import annotations

import asyncio
import base64
import inspect
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from kruise.apiserver.admission import request_scope
from kruise.apiserver.app import APIServer
from kruise.apiserver.crud import AdmissionRequest, WriteOptions
from kruise.apiserver.errors import APIError
from kruise.apiserver.tls import ensure_serving_cert
from tests.integration.conftest import Client

Obj = dict[str, Any]
Handler = Callable[[Obj], Obj | Awaitable[Obj]]

PODS = "/api/v1/namespaces/default/pods"
MUTATING = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
VALIDATING = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
SERVICE_NAME = "wh-svc"
SERVER_NAME = f"{SERVICE_NAME}.default.svc"


# ---------------------------------------------------------------------- a webhook server
class WebhookServer:
    """An HTTPS admission webhook: one handler per path; every review received is kept."""

    def __init__(self, cert_dir: Path) -> None:
        self.cert, self.key = ensure_serving_cert(cert_dir, SERVER_NAME)
        self.ca_bundle = base64.b64encode(self.cert.read_bytes()).decode()
        self.handlers: dict[str, Handler] = {}
        self.reviews: dict[str, list[Obj]] = defaultdict(list)
        self.hosts: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        review = await request.json()
        self.reviews[request.path].append(review)
        self.hosts.append(request.headers.get("Host", ""))
        out = self.handlers[request.path](review)
        if inspect.isawaitable(out):
            out = await out
        return web.json_response(out)


def respond(review: Obj, allowed: bool = True, **fields: Any) -> Obj:
    response = {"uid": review["request"]["uid"], "allowed": allowed, **fields}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


def patch_response(review: Obj, ops: list[Obj], **fields: Any) -> Obj:
    encoded = base64.b64encode(orjson.dumps(ops)).decode()
    return respond(review, patch=encoded, patchType="JSONPatch", **fields)


def add_label(key: str, value: str) -> Handler:
    def handler(review: Obj) -> Obj:
        labels = (review["request"]["object"].get("metadata") or {}).get("labels")
        if labels is None:
            op = {"op": "add", "path": "/metadata/labels", "value": {key: value}}
        else:
            op = {"op": "add", "path": f"/metadata/labels/{key}", "value": value}
        return patch_response(review, [op])

    return handler


def allow(review: Obj) -> Obj:
    return respond(review)


@pytest.fixture
async def webhook(tmp_path: Path) -> AsyncIterator[WebhookServer]:
    server = WebhookServer(tmp_path / "webhook-certs")
    await server.start()
    yield server
    await server.stop()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_config(wh: WebhookServer, path: str, **extra: Any) -> Obj:
    return {"url": wh.url(path), "caBundle": wh.ca_bundle, **extra}


def webhook_spec(name: str, cc: Obj, rules: list[Obj] | None = None, **fields: Any) -> Obj:
    return {
        "name": name,
        "clientConfig": cc,
        "rules": rules
        or [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }


async def register(api: Client, path: str, name: str, *hooks: Obj) -> None:
    await api.ok("POST", path, {"metadata": {"name": name}, "webhooks": list(hooks)})


def pod(name: str, **labels: str) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
    }


# ---------------------------------------------------------------------- mutating
async def test_mutating_patch_is_applied_and_chained_in_configuration_name_order(
    api: Client, webhook: WebhookServer
) -> None:
    webhook.handlers["/first"] = add_label("first", "yes")
    webhook.handlers["/second"] = add_label("second", "yes")
    # registered in reverse: kube orders configurations by name, not by creation
    await register(
        api, MUTATING, "b-second", webhook_spec("second.example.com", client_config(webhook, "/second"))
    )
    await register(
        api, MUTATING, "a-first", webhook_spec("first.example.com", client_config(webhook, "/first"))
    )

    created = await api.ok("POST", PODS, pod("p", app="web"))

    assert created["metadata"]["labels"] == {"app": "web", "first": "yes", "second": "yes"}
    stored = await api.ok("GET", f"{PODS}/p")
    assert stored["metadata"]["labels"] == created["metadata"]["labels"]
    # the second webhook saw the first one's patch
    seen = webhook.reviews["/second"][0]["request"]["object"]["metadata"]["labels"]
    assert seen == {"app": "web", "first": "yes"}
    request = webhook.reviews["/first"][0]["request"]
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert request["requestKind"] == request["kind"] and request["requestResource"] == request["resource"]
    assert (request["namespace"], request["name"], request["operation"]) == ("default", "p", "CREATE")
    assert request["dryRun"] is False and request["oldObject"] is None
    assert request["options"]["kind"] == "CreateOptions"
    assert request["userInfo"]["username"]
    assert "subResource" not in request
    assert len(request["uid"]) == 36


async def test_patch_that_does_not_apply_fails_the_request_whatever_the_policy(
    api: Client, webhook: WebhookServer
) -> None:
    webhook.handlers["/bad"] = lambda r: patch_response(
        r, [{"op": "remove", "path": "/metadata/labels/nope"}]
    )
    cc = client_config(webhook, "/bad")
    await register(api, MUTATING, "bad", webhook_spec("bad.example.com", cc, failurePolicy="Ignore"))

    status, body = await api.call("POST", PODS, pod("p", app="web"))

    assert (status, body["reason"]) == (500, "InternalError")
    assert body["message"].startswith("Internal error occurred: ")


async def test_undecodable_patch_follows_failure_policy(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/junk"] = lambda r: respond(
        r, patch=base64.b64encode(b"{not json").decode(), patchType="JSONPatch"
    )
    cc = client_config(webhook, "/junk")
    await register(api, MUTATING, "junk", webhook_spec("junk.example.com", cc, failurePolicy="Fail"))
    status, body = await api.call("POST", PODS, pod("p"))
    assert status == 500
    assert body["message"].startswith(
        'Internal error occurred: failed calling webhook "junk.example.com": '
        "received undecodable patch in webhook response: "
    )


# ---------------------------------------------------------------------- validating
async def test_validating_denial_reaches_the_client_with_the_webhooks_status(
    api: Client, webhook: WebhookServer
) -> None:
    def deny_bad(review: Obj) -> Obj:
        if review["request"]["name"] == "bad":
            status = {"code": 403, "reason": "Forbidden", "message": "pods named bad are not welcome"}
            return respond(review, False, status=status)
        return allow(review)

    webhook.handlers["/validate"] = deny_bad
    await register(
        api, VALIDATING, "deny", webhook_spec("deny.example.com", client_config(webhook, "/validate"))
    )

    status, body = await api.call("POST", PODS, pod("bad"))
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert (
        body["message"]
        == 'admission webhook "deny.example.com" denied the request: pods named bad are not welcome'
    )
    assert (await api.call("GET", f"{PODS}/bad"))[0] == 404
    await api.ok("POST", PODS, pod("good"))


async def test_denial_without_code_is_400(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/validate"] = lambda r: respond(r, False, status={"message": "nope"})
    await register(
        api, VALIDATING, "deny", webhook_spec("deny.example.com", client_config(webhook, "/validate"))
    )
    status, body = await api.call("POST", PODS, pod("p"))
    assert status == 400
    assert body["message"] == 'admission webhook "deny.example.com" denied the request: nope'


async def test_webhook_answering_with_the_wrong_uid_is_a_call_failure(
    api: Client, webhook: WebhookServer
) -> None:
    def wrong_uid(review: Obj) -> Obj:
        out = allow(review)
        out["response"]["uid"] = "not-the-uid"
        return out

    webhook.handlers["/validate"] = wrong_uid
    await register(api, VALIDATING, "v", webhook_spec("uid.example.com", client_config(webhook, "/validate")))
    status, body = await api.call("POST", PODS, pod("p"))
    uid = webhook.reviews["/validate"][0]["request"]["uid"]
    assert (status, body["reason"]) == (500, "InternalError")
    assert body["message"] == (
        'Internal error occurred: failed calling webhook "uid.example.com": '
        f'received invalid webhook response: expected response.uid="{uid}", got "not-the-uid"'
    )


# ---------------------------------------------------------------------- failure policy
@pytest.mark.parametrize("kind", [MUTATING, VALIDATING])
async def test_webhook_down_fail_rejects_ignore_admits(api: Client, kind: str) -> None:
    port = closed_port()
    url = f"https://127.0.0.1:{port}/hook"
    await register(
        api,
        kind,
        "down",
        webhook_spec("fail.example.com", {"url": url}, objectSelector={"matchLabels": {"policy": "fail"}}),
        webhook_spec(
            "ignore.example.com",
            {"url": url},
            failurePolicy="Ignore",
            objectSelector={"matchLabels": {"policy": "ignore"}},
        ),
    )

    status, body = await api.call("POST", PODS, pod("closed", policy="fail"))
    assert status == 500
    assert body["reason"] == "InternalError"
    expected = (
        'failed calling webhook "fail.example.com": failed to call webhook: '
        f'Post "{url}?timeout=10s": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )
    assert body["message"] == f"Internal error occurred: {expected}"
    assert body["details"]["causes"] == [{"message": expected}]

    await api.ok("POST", PODS, pod("open", policy="ignore"))


@pytest.mark.parametrize(("policy", "expected_status"), [("Fail", 500), ("Ignore", 201)])
async def test_slow_webhook_times_out_per_failure_policy(
    api: Client, webhook: WebhookServer, policy: str, expected_status: int
) -> None:
    async def slow(review: Obj) -> Obj:
        await asyncio.sleep(3)
        return allow(review)

    webhook.handlers["/slow"] = slow
    cc = client_config(webhook, "/slow")
    await register(
        api, VALIDATING, "slow", webhook_spec("slow.example.com", cc, timeoutSeconds=1, failurePolicy=policy)
    )

    started = time.monotonic()
    status, body = await api.call("POST", PODS, pod("p"))
    elapsed = time.monotonic() - started

    assert status == expected_status, body
    assert elapsed < 2.5
    if policy == "Fail":
        assert body["message"] == (
            'Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: '
            f'Post "{webhook.url("/slow")}?timeout=1s": context deadline exceeded'
        )


async def test_failures_are_logged(api: Client, caplog: pytest.LogCaptureFixture) -> None:
    url = f"https://127.0.0.1:{closed_port()}/hook"
    await register(
        api, VALIDATING, "down", webhook_spec("ignore.example.com", {"url": url}, failurePolicy="Ignore")
    )
    with caplog.at_level("WARNING", logger="kruise.apiserver.admission"):
        await api.ok("POST", PODS, pod("p"))
    lines = [r.getMessage() for r in caplog.records if "event=webhook_call_failed" in r.getMessage()]
    assert len(lines) == 1
    assert "webhook=ignore.example.com policy=Ignore error=" in lines[0]
    assert "connection refused" in lines[0]


# ---------------------------------------------------------------------- selectors
async def test_object_selector_keeps_an_outage_away_from_pods_it_does_not_select(api: Client) -> None:
    url = f"https://127.0.0.1:{closed_port()}/hook"
    selector = {"matchLabels": {"sidecar-injection": "enabled"}}
    await register(
        api, MUTATING, "inject", webhook_spec("inject.example.com", {"url": url}, objectSelector=selector)
    )

    await api.ok("POST", PODS, pod("plain"))
    status, _ = await api.call("POST", PODS, pod("injected", **{"sidecar-injection": "enabled"}))
    assert status == 500


async def test_namespace_selector_keeps_an_outage_away_from_other_namespaces(api: Client) -> None:
    url = f"https://127.0.0.1:{closed_port()}/hook"
    await api.ok(
        "POST", "/api/v1/namespaces", {"metadata": {"name": "guarded", "labels": {"admission": "on"}}}
    )
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "free"}})
    selector = {"matchLabels": {"admission": "on"}}
    await register(
        api, VALIDATING, "ns", webhook_spec("ns.example.com", {"url": url}, namespaceSelector=selector)
    )

    await api.ok("POST", "/api/v1/namespaces/free/pods", pod("p"))
    await api.ok("POST", PODS, pod("p"))
    status, _ = await api.call("POST", "/api/v1/namespaces/guarded/pods", pod("p"))
    assert status == 500


async def test_requests_on_webhook_configurations_never_reach_webhooks(api: Client) -> None:
    url = f"https://127.0.0.1:{closed_port()}/hook"
    everything = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/*"]}]
    await register(api, VALIDATING, "lockout", webhook_spec("all.example.com", {"url": url}, everything))

    assert (await api.call("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}}))[
        0
    ] == 500
    # the configuration that locks everything out can still be removed
    await api.ok("DELETE", f"{VALIDATING}/lockout")
    await api.ok("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c"}})


# ---------------------------------------------------------------------- operations and subresources
async def test_delete_is_sent_with_the_old_object_and_can_be_denied(
    api: Client, webhook: WebhookServer
) -> None:
    webhook.handlers["/delete"] = lambda r: respond(r, False, status={"code": 403, "message": "protected"})
    rules = [{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]
    await api.ok("POST", PODS, pod("p", app="web"))
    await register(
        api,
        VALIDATING,
        "protect",
        webhook_spec("protect.example.com", client_config(webhook, "/delete"), rules),
    )

    status, body = await api.call("DELETE", f"{PODS}/p", {"gracePeriodSeconds": 0})

    assert status == 403
    assert body["message"] == 'admission webhook "protect.example.com" denied the request: protected'
    await api.ok("GET", f"{PODS}/p")
    request = webhook.reviews["/delete"][0]["request"]
    assert request["operation"] == "DELETE"
    assert request["object"] is None
    assert request["oldObject"]["metadata"]["labels"] == {"app": "web"}
    assert request["options"] == {
        "kind": "DeleteOptions",
        "apiVersion": "meta.k8s.io/v1",
        "gracePeriodSeconds": 0,
    }


async def test_mutating_webhooks_see_deletes_too(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/m"] = allow
    rules = [{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]
    await api.ok("POST", PODS, pod("p"))
    await register(api, MUTATING, "m", webhook_spec("m.example.com", client_config(webhook, "/m"), rules))
    await api.ok("DELETE", f"{PODS}/p")
    assert [r["request"]["operation"] for r in webhook.reviews["/m"]] == ["DELETE"]


async def test_status_updates_go_to_webhooks_for_pods_status_only(
    api: Client, webhook: WebhookServer
) -> None:
    webhook.handlers["/status"] = allow
    rules = [
        {"operations": ["UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/status"]}
    ]
    await api.ok("POST", PODS, pod("p"))
    await register(
        api,
        VALIDATING,
        "status",
        webhook_spec("status.example.com", client_config(webhook, "/status"), rules),
    )

    merge = "application/merge-patch+json"
    await api.ok("PATCH", f"{PODS}/p", {"metadata": {"labels": {"a": "b"}}}, content_type=merge)
    assert webhook.reviews["/status"] == []
    await api.ok("PATCH", f"{PODS}/p/status", {"status": {"message": "hi"}}, content_type=merge)

    [review] = webhook.reviews["/status"]
    request = review["request"]
    assert (request["operation"], request["subResource"], request["requestSubResource"]) == (
        "UPDATE",
        "status",
        "status",
    )
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["object"]["status"]["message"] == "hi"
    assert "message" not in request["oldObject"]["status"]
    assert request["options"]["kind"] == "UpdateOptions"


async def test_a_changed_rule_takes_effect_on_the_next_request(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/rules"] = allow
    create_only = [
        {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
    ]
    await register(
        api,
        VALIDATING,
        "rules",
        webhook_spec("rules.example.com", client_config(webhook, "/rules"), create_only),
    )
    await api.ok("POST", PODS, pod("p"))
    merge = "application/merge-patch+json"
    await api.ok("PATCH", f"{PODS}/p", {"metadata": {"labels": {"a": "b"}}}, content_type=merge)
    assert [r["request"]["operation"] for r in webhook.reviews["/rules"]] == ["CREATE"]
    config = await api.ok("GET", f"{VALIDATING}/rules")
    config["webhooks"][0]["rules"][0]["operations"] = ["CREATE", "UPDATE"]
    await api.ok("PUT", f"{VALIDATING}/rules", config)
    await api.ok("PATCH", f"{PODS}/p", {"metadata": {"labels": {"a": "c"}}}, content_type=merge)
    assert [r["request"]["operation"] for r in webhook.reviews["/rules"]] == ["CREATE", "UPDATE"]


async def test_eviction_is_sent_as_a_create_of_pods_eviction(
    server: APIServer, webhook: WebhookServer, api: Client
) -> None:
    webhook.handlers["/evict"] = lambda r: respond(r, False, status={"code": 429, "message": "not now"})
    rules = [
        {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/eviction"]}
    ]
    await api.ok("POST", PODS, pod("p"))
    await register(
        api, VALIDATING, "evict", webhook_spec("evict.example.com", client_config(webhook, "/evict"), rules)
    )
    info = server.registry.get("", "v1", "pods")
    assert info is not None
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "p", "namespace": "default"},
    }

    # the contract the eviction subresource uses: a CREATE of pods/eviction carrying the Eviction
    request = AdmissionRequest(
        "CREATE",
        info,
        "default",
        "p",
        eviction,
        None,
        WriteOptions(),
        subresource="eviction",
        kind=("policy", "v1", "Eviction"),
    )
    with pytest.raises(APIError) as e:
        await server.admission.validate(request)

    assert (e.value.code, e.value.message) == (
        429,
        'admission webhook "evict.example.com" denied the request: not now',
    )
    sent = webhook.reviews["/evict"][0]["request"]
    assert (sent["operation"], sent["subResource"]) == ("CREATE", "eviction")
    assert sent["kind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    assert sent["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert sent["object"] == eviction


async def test_eviction_over_http_reaches_pods_eviction_webhooks(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/evict"] = lambda r: respond(r, False, status={"code": 429, "message": "not now"})
    rules = [
        {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/eviction"]}
    ]
    await api.ok("POST", PODS, pod("p"))
    await register(
        api, VALIDATING, "evict", webhook_spec("evict.example.com", client_config(webhook, "/evict"), rules)
    )
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "p", "namespace": "default"},
    }
    status, body = await api.call("POST", f"{PODS}/p/eviction", eviction)
    assert (status, body["message"]) == (
        429,
        'admission webhook "evict.example.com" denied the request: not now',
    )


# ---------------------------------------------------------------------- dry run, warnings, versions
async def test_dry_run_refused_for_webhooks_with_side_effects(api: Client, webhook: WebhookServer) -> None:
    webhook.handlers["/none"] = allow
    webhook.handlers["/some"] = allow
    await register(
        api,
        VALIDATING,
        "dry",
        webhook_spec("none.example.com", client_config(webhook, "/none"), sideEffects="None"),
        webhook_spec(
            "some.example.com",
            client_config(webhook, "/some"),
            sideEffects="Some",
            failurePolicy="Ignore",
            objectSelector={"matchLabels": {"effects": "some"}},
        ),
    )

    await api.ok("POST", PODS, pod("p"), params={"dryRun": "All"})
    assert webhook.reviews["/none"][0]["request"]["dryRun"] is True
    assert webhook.reviews["/none"][0]["request"]["options"]["dryRun"] == ["All"]

    status, body = await api.call("POST", PODS, pod("q", effects="some"), params={"dryRun": "All"})
    assert (status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == 'admission webhook "some.example.com" does not support dry run'
    assert webhook.reviews["/some"] == []


async def test_warnings_are_collected_for_the_response(
    server: APIServer, webhook: WebhookServer, api: Client
) -> None:
    webhook.handlers["/warn"] = lambda r: respond(r, warnings=["image tag 'latest' is discouraged"])
    await register(api, VALIDATING, "warn", webhook_spec("warn.example.com", client_config(webhook, "/warn")))
    info = server.registry.get("", "v1", "pods")
    assert info is not None
    request = AdmissionRequest("CREATE", info, "default", "p", pod("p"), None, WriteOptions())

    with request_scope({"username": "alice", "groups": ["system:authenticated"]}) as sink:
        await server.admission.validate(request)

    assert request.warnings == ["image tag 'latest' is discouraged"]
    assert sink == request.warnings
    assert webhook.reviews["/warn"][0]["request"]["userInfo"] == {
        "username": "alice",
        "groups": ["system:authenticated"],
    }


async def test_equivalent_match_policy_converts_custom_resources(api: Client, webhook: WebhookServer) -> None:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": schema},
                {"name": "v1beta1", "served": True, "storage": False, "schema": schema},
            ],
        },
    }
    await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    webhook.handlers["/widgets"] = add_label("seen-as", "v1")
    rules = [
        {
            "operations": ["CREATE"],
            "apiGroups": ["example.com"],
            "apiVersions": ["v1"],
            "resources": ["widgets"],
        }
    ]
    await register(
        api, MUTATING, "w", webhook_spec("w.example.com", client_config(webhook, "/widgets"), rules)
    )

    created = await api.ok(
        "POST",
        "/apis/example.com/v1beta1/namespaces/default/widgets",
        {"apiVersion": "example.com/v1beta1", "kind": "Widget", "metadata": {"name": "w"}},
    )

    assert created["apiVersion"] == "example.com/v1beta1"
    assert created["metadata"]["labels"] == {"seen-as": "v1"}
    request = webhook.reviews["/widgets"][0]["request"]
    assert request["kind"] == {"group": "example.com", "version": "v1", "kind": "Widget"}
    assert request["requestKind"] == {"group": "example.com", "version": "v1beta1", "kind": "Widget"}
    assert request["object"]["apiVersion"] == "example.com/v1"
    # Exact: the v1beta1 request is not the webhook's business
    await api.ok("DELETE", f"{MUTATING}/w")
    rules_exact = webhook_spec(
        "x.example.com", client_config(webhook, "/widgets"), rules, matchPolicy="Exact"
    )
    await register(api, MUTATING, "x", rules_exact)
    plain = await api.ok(
        "POST",
        "/apis/example.com/v1beta1/namespaces/default/widgets",
        {"apiVersion": "example.com/v1beta1", "kind": "Widget", "metadata": {"name": "w2"}},
    )
    assert "labels" not in plain["metadata"]


# ---------------------------------------------------------------------- service references
async def test_service_reference_is_resolved_through_endpoints(api: Client, webhook: WebhookServer) -> None:
    await api.ok(
        "POST",
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": SERVICE_NAME},
            "spec": {"ports": [{"name": "https", "port": 443, "targetPort": webhook.port}]},
        },
    )
    await api.ok(
        "POST",
        "/api/v1/namespaces/default/endpoints",
        {
            "metadata": {"name": SERVICE_NAME},
            "subsets": [
                {
                    "notReadyAddresses": [{"ip": "127.0.0.2"}],
                    "addresses": [{"ip": "127.0.0.1"}],
                    "ports": [{"name": "https", "port": webhook.port}],
                }
            ],
        },
    )
    webhook.handlers["/mutate"] = add_label("via", "service")
    service = {"namespace": "default", "name": SERVICE_NAME, "path": "/mutate"}
    await register(
        api,
        MUTATING,
        "svc",
        webhook_spec("svc.example.com", {"service": service, "caBundle": webhook.ca_bundle}),
    )

    created = await api.ok("POST", PODS, pod("p"))

    assert created["metadata"]["labels"] == {"via": "service"}
    assert webhook.hosts == [f"{SERVER_NAME}:443"]


async def test_service_without_endpoints_fails_per_policy(api: Client, webhook: WebhookServer) -> None:
    service = {"namespace": "default", "name": "missing", "path": "/v"}
    await register(
        api,
        VALIDATING,
        "svc",
        webhook_spec("svc.example.com", {"service": service, "caBundle": webhook.ca_bundle}),
    )
    status, body = await api.call("POST", PODS, pod("p"))
    assert status == 500
    assert body["message"] == (
        'Internal error occurred: failed calling webhook "svc.example.com": failed to call webhook: '
        'Post "https://missing.default.svc:443/v?timeout=10s": service "missing" not found'
    )


async def test_untrusted_certificate_is_a_call_failure(
    api: Client, webhook: WebhookServer, tmp_path: Path
) -> None:
    other_cert, _ = ensure_serving_cert(tmp_path / "other", "other.example.com")
    other_bundle = base64.b64encode(other_cert.read_bytes()).decode()
    webhook.handlers["/validate"] = allow
    cc = {"url": webhook.url("/validate"), "caBundle": other_bundle}
    await register(api, VALIDATING, "tls", webhook_spec("tls.example.com", cc))
    status, body = await api.call("POST", PODS, pod("p"))
    assert status == 500
    assert body["message"] == (
        'Internal error occurred: failed calling webhook "tls.example.com": failed to call webhook: '
        f'Post "{webhook.url("/validate")}?timeout=10s": '
        "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    )
    assert webhook.reviews["/validate"] == []


async def test_service_certificate_must_name_the_service(api: Client, webhook: WebhookServer) -> None:
    # the endpoint is the right server, but its certificate is for wh-svc, not impostor
    await api.ok(
        "POST",
        "/api/v1/namespaces/default/services",
        {"metadata": {"name": "impostor"}, "spec": {"ports": [{"port": 443}]}},
    )
    await api.ok(
        "POST",
        "/api/v1/namespaces/default/endpoints",
        {
            "metadata": {"name": "impostor"},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": webhook.port}]}],
        },
    )
    webhook.handlers["/v"] = allow
    service = {"namespace": "default", "name": "impostor", "path": "/v"}
    cc = {"service": service, "caBundle": webhook.ca_bundle}
    await register(api, VALIDATING, "svc", webhook_spec("svc.example.com", cc))
    status, body = await api.call("POST", PODS, pod("p"))
    assert status == 500
    assert "tls: failed to verify certificate: x509: certificate is not valid for" in body["message"]
    assert webhook.reviews["/v"] == []
