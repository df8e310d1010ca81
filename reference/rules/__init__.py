"""Pure rules of the spec (no I/O): labels, visibility, matching, answer content, resource IDs."""
