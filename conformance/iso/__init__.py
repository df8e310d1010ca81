"""Isolation under stress and hostile input (SPEC section 8)."""
