"""Namespace lifecycle: a terminating namespace is emptied through the API, then released."""

from .controller import NamespaceController

__all__ = ["NamespaceController"]
