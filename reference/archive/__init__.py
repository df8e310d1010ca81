"""The embedded archive: SQLite index, file storage, and the facade the servers use."""
