"""The pod's own view of the Kubernetes API server: its address, token and CA."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# The API server's issuer discovery endpoints (KEP-1393). Reading them needs
# the ClusterRole system:service-account-issuer-discovery, which Kubernetes
# binds by default to the group system:serviceaccounts: every pod's own
# ServiceAccount token is enough, the chart grants nothing.
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/openid/v1/jwks"


@dataclass(frozen=True, slots=True)
class ApiServer:
    """Where the API server is and how this pod authenticates to it."""

    url: str
    token_file: Path
    ca_file: Path

    def headers(self) -> dict[str, str]:
        """The pod's current token, read on every call: the kubelet rotates the file."""
        try:
            token = self.token_file.read_text(encoding="ascii").strip()
        except OSError:
            return {}
        return {"Authorization": f"Bearer {token}"} if token else {}

    def ssl_context(self) -> ssl.SSLContext | None:
        """Trust the cluster's CA when it is mounted; else the system's trust store."""
        if not self.ca_file.is_file():
            return None
        return ssl.create_default_context(cafile=str(self.ca_file))
