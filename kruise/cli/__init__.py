"""The `kruise` command."""
