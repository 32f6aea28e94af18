"""Container runtimes behind one interface: `process` (real child processes), later `sim`."""
