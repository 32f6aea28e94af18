"""Beyond loopback the server requires TLS and bearer tokens."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kruise.client import Client, load_config
from kruise.client.errors import TransportError
from kruise.client.resources import CONFIGMAPS, NAMESPACES
from tests.conftest import REPO, start_server

pytestmark = pytest.mark.e2e


def test_non_loopback_bind_without_tokens_is_refused(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kruise.cli.main",
            "apiserver",
            "--data-dir",
            str(tmp_path),
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )
    assert out.returncode == 1
    assert "requires --token-file" in out.stderr
    assert "Traceback" not in out.stderr


def test_tls_and_token_authentication(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('s3cret-token,admin,1,"system:masters"\n')
    server = start_server(tmp_path / "data", "--bind", "0.0.0.0", "--token-file", str(tokens))
    try:
        assert server.url.startswith("https://")
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        ca = str(tmp_path / "data" / "tls" / "serving.crt")
        resp = requests.get(f"{url}/api/v1/namespaces", verify=ca)
        assert resp.status_code == 401
        assert resp.json()["reason"] == "Unauthorized"
        resp = requests.get(f"{url}/api/v1/namespaces", verify=ca, headers={"Authorization": "Bearer wrong"})
        assert resp.status_code == 401
        resp = requests.get(
            f"{url}/api/v1/namespaces", verify=ca, headers={"Authorization": "Bearer s3cret-token"}
        )
        assert resp.status_code == 200
        names = [n["metadata"]["name"] for n in resp.json()["items"]]
        assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
        # the written kubeconfig carries the CA and the token, so kubectl just works
        out = server.kubectl("get", "namespaces", "-o", "name")
        assert "namespace/default" in out.stdout
        # and so does kruise.client: keep-alive HTTPS with the CA and the token from the kubeconfig
        assert asyncio.run(client_round_trip(server.kubeconfig)) == ("default", "via-client", "1")
        # a watch's events are written straight onto the TLS connection
        auth = {"Authorization": "Bearer s3cret-token"}
        cms = f"{url}/api/v1/namespaces/default/configmaps"
        with requests.get(f"{cms}?watch=1", verify=ca, headers=auth, stream=True, timeout=30) as watch:
            assert watch.status_code == 200
            for i in range(3):
                body = {"metadata": {"name": f"tls-{i}"}}
                assert requests.post(cms, json=body, verify=ca, headers=auth).status_code == 201
            lines = watch.iter_lines()
            seen = [json.loads(next(lines)) for _ in range(3)]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in seen] == [
            ("ADDED", "tls-0"),
            ("ADDED", "tls-1"),
            ("ADDED", "tls-2"),
        ]
    finally:
        server.stop()


async def client_round_trip(kubeconfig: Path) -> tuple[str, str, str]:
    config = load_config(str(kubeconfig))
    async with Client(config) as c:
        ns = await c.get(NAMESPACES, "default")
        cm = await c.create(
            CONFIGMAPS, {"metadata": {"name": "via-client"}, "data": {"v": "1"}}, namespace="kube-public"
        )
        again = await c.get(CONFIGMAPS, "via-client", namespace="kube-public")
    # a client that does not trust the server's certificate gets a TLS error, not a retry loop
    untrusting = load_config(str(kubeconfig))
    untrusting.ca_data, untrusting.ca_file = None, None
    async with Client(untrusting) as c:
        with pytest.raises(TransportError, match="TLS"):
            await c.get(NAMESPACES, "default")
    return ns["metadata"]["name"], cm["metadata"]["name"], again["data"]["v"]
