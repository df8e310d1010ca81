"""Conformance suite for multitenant DICOM servers; never imports ``reference``."""
