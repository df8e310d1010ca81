"""C-MOVE through a tenant (SPEC section 7)."""
