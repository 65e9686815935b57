"""Logs, metrics, request tracing and health endpoints."""
