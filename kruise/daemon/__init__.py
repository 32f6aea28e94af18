"""kruise-daemon duties: the per-node half of Kruise, reaching the API through `kruise.client` and
containers through a small runtime interface (the embedded node's runtime here)."""
