"""The node image store: references, catalog, layer sharing, pull policies and statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from kruise.node.images import (
    Catalog,
    ImageError,
    ImageStore,
    default_pull_policy,
    parse_reference,
    parse_size,
)

CATALOG = {
    "images": [
        {"name": "nginx", "tags": ["1.25", "latest"], "command": ["nginx"], "env": {"V": "1.25"},
         "layers": [{"id": "debian", "size": "30Mi"}, {"size": "5Mi"}]},
        {"name": "registry.example.com/app", "tags": ["v1"],
         "layers": [{"id": "debian", "size": "30Mi"}, {"size": 1000}]},
    ]
}  # fmt: skip
MI = 1024 * 1024


class Sleeps:
    def __init__(self) -> None:
        self.total = 0.0

    async def __call__(self, seconds: float) -> None:
        self.total += seconds


def store(tmp_path: Path | None = None, bandwidth: float = 10 * MI) -> tuple[ImageStore, Sleeps]:
    sleeps = Sleeps()
    state = tmp_path / "images.json" if tmp_path else None
    return ImageStore(Catalog.from_dict(CATALOG), bandwidth=bandwidth, state_file=state, sleep=sleeps), sleeps


@pytest.mark.parametrize(
    ("ref", "repo", "tag", "digest"),
    [
        ("nginx", "docker.io/library/nginx", "latest", ""),
        ("nginx:1.25", "docker.io/library/nginx", "1.25", ""),
        ("me/app:v1", "docker.io/me/app", "v1", ""),
        ("localhost:5000/app", "localhost:5000/app", "latest", ""),
        ("quay.io/x/y@sha256:ab", "quay.io/x/y", "", "sha256:ab"),
    ],
)
def test_parse_reference(ref: str, repo: str, tag: str, digest: str) -> None:
    r = parse_reference(ref)
    assert (r.repo, r.tag, r.digest) == (repo, tag, digest)


def test_default_pull_policy_and_sizes() -> None:
    assert default_pull_policy("nginx") == "Always" and default_pull_policy("nginx:latest") == "Always"
    assert default_pull_policy("nginx:1.25") == "IfNotPresent"
    assert parse_size("30Mi") == 30 * MI and parse_size("1G") == 10**9 and parse_size(12) == 12


def test_catalog_tags_share_a_digest_and_unknown_images_are_derived() -> None:
    cat = Catalog.from_dict(CATALOG)
    a, b = cat.resolve("nginx:1.25"), cat.resolve("docker.io/library/nginx")
    assert a.digest == b.digest and a.image_id == f"docker-pullable://docker.io/library/nginx@{a.digest}"
    assert a.command == ("nginx",) and dict(a.env) == {"V": "1.25"} and a.size == 35 * MI
    assert cat.resolve(f"nginx@{a.digest}") == a
    x1, x2 = cat.resolve("busybox:1"), cat.resolve("busybox:2")
    assert x1.digest != x2.digest and x1 == cat.resolve("docker.io/library/busybox:1")
    assert x1.size == cat.default_size


async def test_pull_downloads_only_missing_layers(tmp_path: Path) -> None:
    s, sleeps = store()
    first = await s.ensure("nginx:1.25", "IfNotPresent")
    assert first.pulled and first.bytes == 35 * MI and sleeps.total == pytest.approx(3.5)
    second = await s.ensure("registry.example.com/app:v1", "IfNotPresent")
    assert second.bytes == 1000  # the debian layer is shared
    assert s.stats.bytes_pulled == 35 * MI + 1000 and s.stats.layers_pulled == 3 and s.stats.pulls == 2
    again = await s.ensure("nginx:latest", "IfNotPresent")  # another tag of a present image
    assert again.bytes == 0 and again.pulled  # not known by this name yet: asks the registry


async def test_pull_policies() -> None:
    s, _ = store()
    with pytest.raises(ImageError) as err:
        await s.ensure("nginx:1.25", "Never")
    assert err.value.reason == "ErrImageNeverPull"
    assert err.value.message == 'Container image "nginx:1.25" is not present with pull policy of Never'
    await s.ensure("nginx:1.25", None)
    assert not (await s.ensure("nginx:1.25", "IfNotPresent")).pulled
    assert not (await s.ensure("nginx:1.25", "Never")).pulled
    always = await s.ensure("nginx:1.25", "Always")
    assert always.pulled and always.bytes == 0 and s.stats.pulls == 2


async def test_concurrent_pulls_fetch_a_layer_once() -> None:
    import asyncio

    s, _ = store(bandwidth=0)
    await asyncio.gather(*(s.ensure("nginx:1.25", "IfNotPresent") for _ in range(5)))
    assert s.stats.bytes_pulled == 35 * MI


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    s, _ = store(tmp_path)
    await s.ensure("nginx:1.25", None)
    again, _ = store(tmp_path)
    assert again.present("nginx:1.25") is not None and again.stats.bytes_pulled == 35 * MI
    names = again.node_images()[0]["names"]
    assert names[0].startswith("docker.io/library/nginx@sha256:") and "docker.io/library/nginx:1.25" in names
