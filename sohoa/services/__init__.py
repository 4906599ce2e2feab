"""The shared resources of one process (database, archive, search backend, job queue)."""
