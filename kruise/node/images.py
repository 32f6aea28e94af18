"""The node's image store: images with digests and layers, pulled at a modelled bandwidth.

No bytes move: a pull sleeps for (missing layer bytes / bandwidth) and records the layers as
present, so layer sharing, pull policies and "bytes pulled" behave as on a real node.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_IMAGE_SIZE = 10 * 1024 * 1024  # bytes of an image the catalog does not describe
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


class ImageError(Exception):
    """A pull failed; `reason` is the container waiting reason the kubelet would report."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Reference:
    repo: str  # registry/path, e.g. docker.io/library/nginx
    tag: str = ""
    digest: str = ""

    def __str__(self) -> str:
        return f"{self.repo}@{self.digest}" if self.digest else f"{self.repo}:{self.tag}"


def parse_reference(ref: str) -> Reference:
    """Docker's normalisation: a bare name lives in docker.io/library, the tag defaults to latest."""
    name, _, digest = ref.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    first, _, rest = name.partition("/")
    if not rest:
        name = f"docker.io/library/{name}"
    elif not ("." in first or ":" in first or first == "localhost"):
        name = f"docker.io/{name}"
    return Reference(name, "" if digest else (tag or "latest"), digest)


def default_pull_policy(ref: str) -> str:
    r = parse_reference(ref)
    return "Always" if not r.digest and r.tag == "latest" else "IfNotPresent"


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int


@dataclass(frozen=True)
class Image:
    repo: str
    digest: str
    layers: tuple[Layer, ...]
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def image_id(self) -> str:
        return f"docker-pullable://{self.repo}@{self.digest}"

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def parse_size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgKMG]i?)?[bB]?\s*", str(value))
    if not m:
        raise ValueError(f"invalid size {value!r}")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])


@dataclass
class Catalog:
    """Images by "repo:tag" and "repo@digest"; anything else is derived from its reference."""

    images: dict[str, Image] = field(default_factory=dict)
    default_size: int = DEFAULT_IMAGE_SIZE

    @classmethod
    def load(cls, path: Path | None) -> Catalog:
        if path is None:
            return cls()
        doc = yaml.safe_load(path.read_text()) or {}
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Catalog:
        cat = cls(default_size=parse_size(doc.get("defaultSize", DEFAULT_IMAGE_SIZE)))
        for entry in doc.get("images") or []:
            repo = parse_reference(str(entry["name"])).repo
            tags = tuple(str(t) for t in entry.get("tags") or ["latest"])
            layers = tuple(
                Layer(
                    str(layer.get("digest") or _sha(f"layer:{layer.get('id') or f'{repo}#{i}'}")),
                    parse_size(layer.get("size", 0)),
                )
                for i, layer in enumerate(entry.get("layers") or [{"size": cat.default_size}])
            )
            digest = str(entry.get("digest") or _sha(f"image:{repo}:" + ",".join(x.digest for x in layers)))
            env = tuple((str(k), str(v)) for k, v in (entry.get("env") or {}).items())
            image = Image(repo, digest, layers, tuple(entry.get("command") or ()), env, tags)
            for tag in tags:
                cat.images[f"{repo}:{tag}"] = image
            cat.images[f"{repo}@{digest}"] = image
        return cat

    def resolve(self, ref: str) -> Image:
        r = parse_reference(ref)
        known = self.images.get(str(r))
        if known is not None:
            return known
        digest = r.digest or _sha(f"image:{r}")
        return Image(r.repo, digest, (Layer(_sha(f"layer:{r.repo}@{digest}"), self.default_size),))


@dataclass(frozen=True)
class PullResult:
    image: Image
    pulled: bool  # the registry was asked (policy Always, or not present)
    bytes: int  # layer bytes downloaded
    seconds: float


@dataclass
class PullStats:
    pulls: int = 0
    bytes_pulled: int = 0
    layers_pulled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"pulls": self.pulls, "bytesPulled": self.bytes_pulled, "layersPulled": self.layers_pulled}


class ImageStore:
    def __init__(
        self,
        catalog: Catalog,
        *,
        bandwidth: float = 100e6,  # bytes per second; 0 = instant
        state_file: Path | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.catalog = catalog
        self.bandwidth = bandwidth
        self.state_file = state_file
        self._sleep = sleep
        self.layers: set[str] = set()
        self.refs: dict[str, Image] = {}  # "repo:tag" / "repo@digest" present on the node
        self.stats = PullStats()
        self._layer_locks: dict[str, asyncio.Lock] = {}
        self._load()

    def present(self, ref: str) -> Image | None:
        image = self.refs.get(str(parse_reference(ref)))
        if image is not None and all(layer.digest in self.layers for layer in image.layers):
            return image
        return None

    async def ensure(self, ref: str, policy: str | None) -> PullResult:
        """The image for a container, pulled as `policy` says (None: the default for `ref`)."""
        policy = policy or default_pull_policy(ref)
        local = self.present(ref)
        if policy == "Never":
            if local is None:
                raise ImageError(
                    "ErrImageNeverPull", f'Container image "{ref}" is not present with pull policy of Never'
                )
            return PullResult(local, False, 0, 0.0)
        if policy == "IfNotPresent" and local is not None:
            return PullResult(local, False, 0, 0.0)
        return await self.pull(ref)

    async def pull(self, ref: str) -> PullResult:
        image = self.catalog.resolve(ref)
        loop = asyncio.get_running_loop()
        began = loop.time()
        downloaded = 0
        for layer in image.layers:
            # One download per layer even when several pulls want it at once.
            lock = self._layer_locks.setdefault(layer.digest, asyncio.Lock())
            async with lock:
                if layer.digest in self.layers:
                    continue
                if self.bandwidth > 0 and layer.size > 0:
                    await self._sleep(layer.size / self.bandwidth)
                self.layers.add(layer.digest)
                downloaded += layer.size
                self.stats.layers_pulled += 1
                self.stats.bytes_pulled += layer.size
        self.stats.pulls += 1
        self.refs[str(parse_reference(ref))] = image
        self.refs[f"{image.repo}@{image.digest}"] = image
        self._save()
        return PullResult(image, True, downloaded, loop.time() - began)

    def node_images(self) -> list[dict[str, Any]]:
        """Node status.images: each image once, with every name it is known by."""
        names: dict[str, list[str]] = {}
        by_id: dict[str, Image] = {}
        for ref, image in self.refs.items():
            names.setdefault(image.image_id, []).append(ref)
            by_id[image.image_id] = image
        return [
            {"names": sorted(names[iid], key=lambda n: ("@" not in n, n)), "sizeBytes": by_id[iid].size}
            for iid in sorted(names)
        ]

    def summary(self) -> dict[str, Any]:
        return {
            **self.stats.as_dict(),
            "images": len({i.image_id for i in self.refs.values()}),
            "layers": len(self.layers),
        }

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        if self.state_file is None or not self.state_file.is_file():
            return
        try:
            doc = json.loads(self.state_file.read_text())
        except ValueError:
            return
        self.layers = set(doc.get("layers") or [])
        stats = doc.get("stats") or {}
        self.stats = PullStats(
            int(stats.get("pulls", 0)), int(stats.get("bytesPulled", 0)), int(stats.get("layersPulled", 0))
        )
        for ref, raw in (doc.get("refs") or {}).items():
            layers = tuple(Layer(d, s) for d, s in raw["layers"])
            env = tuple((k, v) for k, v in raw.get("env") or [])
            self.refs[ref] = Image(raw["repo"], raw["digest"], layers, tuple(raw.get("command") or ()), env)

    def _save(self) -> None:
        if self.state_file is None:
            return
        doc = {
            "layers": sorted(self.layers),
            "stats": self.stats.as_dict(),
            "refs": {
                ref: {
                    "repo": i.repo,
                    "digest": i.digest,
                    "layers": [[x.digest, x.size] for x in i.layers],
                    "command": list(i.command),
                    "env": [list(e) for e in i.env],
                }
                for ref, i in self.refs.items()
            },
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc))
        os.replace(tmp, self.state_file)
