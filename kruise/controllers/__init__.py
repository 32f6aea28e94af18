"""One package per Kruise kind; `register_all` wires every controller into a manager."""

from __future__ import annotations

from kruise.client.manager import Manager


def register_all(manager: Manager) -> None:
    from . import cloneset, podreadiness

    cloneset.register(manager)
    podreadiness.register(manager)
