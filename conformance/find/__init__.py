"""C-FIND through a tenant (SPEC section 6)."""
