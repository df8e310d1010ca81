"""ISO-1: stateful differential testing of the archive through every tenant."""
