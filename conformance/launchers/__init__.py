"""How a managed target is started: the embedded reference server, real Orthanc (native or Docker)."""
