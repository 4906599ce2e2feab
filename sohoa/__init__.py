"""Shared domain code of sohoa: settings, errors, database, archive, Vietnamese text."""
