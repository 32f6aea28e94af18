"""load_config: the order of sources, auth kinds, and clear errors for missing or broken files."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
import yaml

from kruise.client import config as cfgmod
from kruise.client.config import ConfigError, load_config


def write_kubeconfig(path: Path, server: str = "http://127.0.0.1:1234", **user: object) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": dict(user)}],
        "contexts": [
            {"name": "main", "context": {"cluster": "c", "user": "u", "namespace": "team-a"}},
            {"name": "other", "context": {"cluster": "c", "user": "u"}},
        ],
        "current-context": "main",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(cfgmod, "DEFAULT_KUBECONFIG", tmp_path / "home" / ".kube" / "config")
    monkeypatch.setattr(cfgmod, "SERVICE_ACCOUNT_DIR", tmp_path / "sa")


def test_explicit_path_with_token_and_context(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", token="s3cret")
    cfg = load_config(str(path))
    assert cfg.server == "http://127.0.0.1:1234"
    assert cfg.token == "s3cret"
    assert cfg.namespace == "team-a"
    assert "s3cret" not in repr(cfg)
    assert load_config(str(path), context="other").namespace == "default"
    assert cfg.ssl_context() is None


def test_kubeconfig_env_then_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = cfgmod.DEFAULT_KUBECONFIG
    default.parent.mkdir(parents=True)
    write_kubeconfig(default, server="http://default:1")
    assert load_config().server == "http://default:1"
    env = write_kubeconfig(tmp_path / "env", server="http://env:2")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{env}")
    assert load_config().server == "http://env:2"


def test_in_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("sa-token-1")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (sa / "namespace").write_text("kruise-system")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    cfg = load_config()
    assert cfg.server == "https://10.0.0.1:443"
    assert cfg.ca_file == str(sa / "ca.crt")
    assert cfg.namespace == "kruise-system"
    assert cfg.token_provider is not None and cfg.token_provider() == "sa-token-1"


def test_exec_plugin_provides_the_token(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json\n"
        'print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",'
        ' "kind": "ExecCredential", "status": {"token": "from-exec"}}))\n'
    )
    path = write_kubeconfig(
        tmp_path / "kc",
        exec={
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        },
    )
    cfg = load_config(str(path))
    assert cfg.token == "from-exec"
    assert cfg.token_provider is not None and cfg.token_provider() == "from-exec"


def test_https_with_embedded_ca_and_insecure(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    write_kubeconfig(path, server="https://example:6443", token="t")
    doc = yaml.safe_load(path.read_text())
    doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    path.write_text(yaml.safe_dump(doc))
    cfg = load_config(str(path))
    assert cfg.insecure
    ctx = cfg.ssl_context()
    assert ctx is not None and not ctx.check_hostname
    doc["clusters"][0]["cluster"].pop("insecure-skip-tls-verify")
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(b"not a cert").decode()
    path.write_text(yaml.safe_dump(doc))
    cfg = load_config(str(path))
    assert cfg.ca_file and Path(cfg.ca_file).read_bytes() == b"not a cert"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("clusters: [\n", "not valid YAML"),
        ("", "kubeconfig"),
        ("apiVersion: v1\nkind: Config\ncurrent-context: nope\ncontexts: []\n", "kubeconfig"),
    ],
)
def test_broken_files(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "kc"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_config(str(path))


def test_missing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="no Kubernetes configuration"):
        load_config()
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="KUBECONFIG"):
        load_config()
    path = write_kubeconfig(tmp_path / "kc", token="t")
    with pytest.raises(ConfigError):
        load_config(str(path), context="no-such-context")
