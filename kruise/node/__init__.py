"""The node agent: registers a Node and runs the Pods bound to it as a stock kubelet does."""
