"""Shared workload machinery: revisions, in-place update engine, lifecycle hooks, update ordering.

Written once and reused by CloneSet, Advanced StatefulSet, Advanced DaemonSet and SidecarSet.
Pure planning functions live beside thin executors that talk to the API through `kruise.client`.
"""
