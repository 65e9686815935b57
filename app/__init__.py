"""users-api: a REST API for users, persisted in MongoDB."""

__version__ = "0.1.0"
