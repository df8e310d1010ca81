"""Reference tenant server: a compact, pure-Python multitenant DICOM archive (SPEC.md)."""
