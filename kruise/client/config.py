"""Where the API server is and how to authenticate: kubeconfig, $KUBECONFIG or the in-cluster account.

Parsing and credential plugins are the `kubernetes` package's loaders (exec plugins, token files,
client certificates, embedded data); only the resulting settings are used — HTTP is our own client.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import kruise

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_KUBECONFIG = Path("~/.kube/config")


class ConfigError(Exception):
    """No usable configuration: a missing or broken kubeconfig, an unknown context, ..."""


@dataclass
class ClientConfig:
    server: str
    token: str | None = field(default=None, repr=False)
    # Called (off the event loop) for a fresh bearer token: exec plugins and rotated SA tokens.
    token_provider: Callable[[], str | None] | None = field(default=None, repr=False)
    ca_data: bytes | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    qps: float | None = None  # None: no client-side rate limit (the embedded cluster's default)
    burst: int = 10
    user_agent: str = f"kruise/{kruise.__version__}"
    namespace: str = "default"  # the context's namespace, for callers that want a default

    def ssl_context(self) -> ssl.SSLContext | None:
        """None for plain http; otherwise a context that verifies the server unless `insecure`."""
        if not self.server.startswith("https"):
            return None
        ctx = ssl.create_default_context()
        if self.insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            if self.ca_file:
                ctx.load_verify_locations(cafile=self.ca_file)
            if self.ca_data:
                ctx.load_verify_locations(cadata=self.ca_data.decode())
        if self.cert_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


def load_config(kubeconfig: str | None = None, context: str | None = None) -> ClientConfig:
    """Explicit path, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config."""
    if kubeconfig:
        path = Path(kubeconfig).expanduser()
        if not path.is_file():
            raise ConfigError(f"kubeconfig {path} does not exist")
        return _from_kubeconfig(str(path), context)
    env = os.environ.get("KUBECONFIG", "")
    if env:
        paths = [p for p in env.split(os.pathsep) if p]
        if not any(Path(p).expanduser().is_file() for p in paths):
            raise ConfigError(f"none of the files in $KUBECONFIG exist: {env}")
        return _from_kubeconfig(env, context)
    if os.environ.get("KUBERNETES_SERVICE_HOST") and (SERVICE_ACCOUNT_DIR / "token").is_file():
        return _in_cluster()
    default = DEFAULT_KUBECONFIG.expanduser()
    if default.is_file():
        return _from_kubeconfig(str(default), context)
    raise ConfigError(
        f"no Kubernetes configuration: pass a kubeconfig, set $KUBECONFIG, run in a pod, or create {default}"
    )


def _from_kubeconfig(paths: str, context: str | None) -> ClientConfig:
    from kubernetes.client import Configuration
    from kubernetes.config import kube_config
    from kubernetes.config.config_exception import ConfigException

    cfg = Configuration()
    try:
        kube_config.load_kube_config(
            config_file=paths, context=context, client_configuration=cfg, persist_config=False
        )
        contexts, current = kube_config.list_kube_config_contexts(paths)
    except ConfigException as e:
        raise ConfigError(f"kubeconfig {paths}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"kubeconfig {paths} is not valid YAML: {e}") from e
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ConfigError(f"kubeconfig {paths} is not valid: {e}") from e
    chosen = next((c for c in contexts if c.get("name") == context), current) if context else current
    namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
    return _from_configuration(cfg, namespace)


def _in_cluster() -> ClientConfig:
    from kubernetes.client import Configuration
    from kubernetes.config import incluster_config
    from kubernetes.config.config_exception import ConfigException

    cfg = Configuration()
    try:
        incluster_config.InClusterConfigLoader(
            token_filename=str(SERVICE_ACCOUNT_DIR / "token"),
            cert_filename=str(SERVICE_ACCOUNT_DIR / "ca.crt"),
        ).load_and_set(cfg)
    except (ConfigException, OSError) as e:
        raise ConfigError(f"in-cluster configuration: {e}") from e
    ns_file = SERVICE_ACCOUNT_DIR / "namespace"
    namespace = ns_file.read_text().strip() if ns_file.is_file() else "default"
    return _from_configuration(cfg, namespace or "default")


def _from_configuration(cfg: Any, namespace: str) -> ClientConfig:
    if not cfg.host:
        raise ConfigError("the configuration names no server")
    token = cfg.api_key.get("BearerToken")
    if token and token.lower().startswith("basic "):
        raise ConfigError("username/password (basic) authentication is not supported; use a token")
    hook = cfg.refresh_api_key_hook
    provider: Callable[[], str | None] | None = None
    if hook is not None:

        def provider() -> str | None:
            hook(cfg)  # re-runs the exec plugin / re-reads the token file once expired
            return _bare(cfg.api_key.get("BearerToken"))

    return ClientConfig(
        server=cfg.host.rstrip("/"),
        token=_bare(token),
        token_provider=provider,
        ca_file=cfg.ssl_ca_cert or None,
        cert_file=cfg.cert_file or None,
        key_file=cfg.key_file or None,
        insecure=not cfg.verify_ssl,
        tls_server_name=getattr(cfg, "tls_server_name", None) or None,
        namespace=namespace,
    )


def _bare(value: str | None) -> str | None:
    """The loaders store "Bearer <token>"; keep the token only."""
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else value
