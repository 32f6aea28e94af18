from __future__ import annotations

import pytest

from kruise.apiserver.paths import Target, parse_resource_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/pods", Target("", "v1", "pods")),
        ("/api/v1/namespaces", Target("", "v1", "namespaces")),
        ("/api/v1/namespaces/default", Target("", "v1", "namespaces", None, "default")),
        ("/api/v1/namespaces/default/status", Target("", "v1", "namespaces", None, "default", "status")),
        ("/api/v1/namespaces/default/finalize", Target("", "v1", "namespaces", None, "default", "finalize")),
        ("/api/v1/namespaces/default/pods", Target("", "v1", "pods", "default")),
        ("/api/v1/namespaces/default/pods/p1", Target("", "v1", "pods", "default", "p1")),
        ("/api/v1/namespaces/default/pods/p1/binding", Target("", "v1", "pods", "default", "p1", "binding")),
        ("/api/v1/nodes/n1/status", Target("", "v1", "nodes", None, "n1", "status")),
        (
            "/apis/apps/v1/namespaces/ns/deployments/d/scale",
            Target("apps", "v1", "deployments", "ns", "d", "scale"),
        ),
        ("/apis/apps.kruise.io/v1alpha1/clonesets", Target("apps.kruise.io", "v1alpha1", "clonesets")),
        ("/api/v1/watch/namespaces/ns/pods", Target("", "v1", "pods", "ns", watch_path=True)),
        ("/api/v1", None),
        ("/apis/apps/v1", None),
        ("/version", None),
        ("/api/v1/namespaces/ns/pods/p/status/extra", None),
    ],
)
def test_parse_resource_path(path: str, expected: Target | None) -> None:
    assert parse_resource_path(path) == expected
