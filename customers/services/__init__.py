"""Writes, one module per sub-domain. Every service is `<noun>_<verb>(*, ..., actor)` and atomic."""
