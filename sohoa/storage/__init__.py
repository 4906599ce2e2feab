"""The archive store: originals by SHA-256 and derived files, written atomically."""
