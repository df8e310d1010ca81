"""The Orthanc-compatible REST subset of SPEC.md section 9."""
