"""Authentication and authorization of /users calls; wired only in app/main.py.

Handlers never see a token: the middleware here admits a request (binding the
caller's name to the request's logs) or answers 400/401/403/503 itself.
"""
