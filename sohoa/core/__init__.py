"""Shared core: settings, errors, the vocabulary, time, the database and its models.
Imports nothing else of sohoa's."""
