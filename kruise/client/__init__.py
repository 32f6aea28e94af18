"""Async Kubernetes client and controller runtime."""
