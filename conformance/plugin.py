"""pytest11 entry point of the conformance suite (options, fixtures and hooks are added here)."""
