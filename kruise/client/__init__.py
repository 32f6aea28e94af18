"""Async Kubernetes client and controller runtime."""

from .config import ClientConfig, ConfigError, load_config
from .errors import (
    AlreadyExists,
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ServerError,
    TooManyRequests,
    TransportError,
    Unauthorized,
)
from .indexer import Indexer, IndexerView, object_key
from .informer import Informer, SharedInformerFactory
from .resources import Resource
from .rest import Client

__all__ = [
    "AlreadyExists",
    "ApiError",
    "BadRequest",
    "Client",
    "ClientConfig",
    "ConfigError",
    "Conflict",
    "Forbidden",
    "Gone",
    "Indexer",
    "IndexerView",
    "Informer",
    "Invalid",
    "NotFound",
    "Resource",
    "ServerError",
    "SharedInformerFactory",
    "TooManyRequests",
    "TransportError",
    "Unauthorized",
    "load_config",
    "object_key",
]
