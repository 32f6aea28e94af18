"""Write the kubeconfig that points kubectl and clients at the embedded API server."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from kruise.apiserver.app import ServerConfig


def write_for_server(config: ServerConfig, port: int) -> Path:
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    cluster: dict[str, object] = {}
    user: dict[str, object] = {}
    if config.tls_cert:
        cluster["server"] = f"https://{host}:{port}"
        cluster["certificate-authority-data"] = base64.b64encode(Path(config.tls_cert).read_bytes()).decode()
    else:
        cluster["server"] = f"http://{host}:{port}"
    if config.tokens:
        user["token"] = next(iter(config.tokens))
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kruise", "cluster": cluster}],
        "users": [{"name": "kruise-admin", "user": user}],
        "contexts": [
            {
                "name": "kruise",
                "context": {"cluster": "kruise", "user": "kruise-admin", "namespace": "default"},
            }
        ],
        "current-context": "kruise",
        "preferences": {},
    }
    path = config.data_dir / "kubeconfig"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
