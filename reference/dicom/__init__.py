"""DICOM listeners (main server and one per tenant) and their DIMSE handlers."""
