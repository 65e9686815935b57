"""Defences against hostile clients: the upload budget and the guarded HTTP connection."""
