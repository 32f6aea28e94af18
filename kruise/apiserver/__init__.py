"""The embedded Kubernetes-compatible API server (SQLite revision log, watch cache, REST)."""
