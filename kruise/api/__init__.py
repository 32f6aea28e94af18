"""Kruise resource types and small helpers over core objects."""
