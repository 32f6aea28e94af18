"""The embedded cluster's garbage collector (ownerReferences: background, foreground, orphan).
`graph` and `discovery.build` are pure; `controller` talks to the API."""

from .controller import GarbageCollector
from .discovery import Discovery, discover
from .graph import Graph, GraphNode

__all__ = ["Discovery", "GarbageCollector", "Graph", "GraphNode", "discover"]
