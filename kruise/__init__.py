"""OpenKruise in Python: advanced workloads and Pod lifecycle management."""

__version__ = "0.1.0"
