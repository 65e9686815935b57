"""The users resource: models, persistence and HTTP routes."""
