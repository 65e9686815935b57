"""Documents as other tools write them straight into the users collection."""

from __future__ import annotations

import datetime as dt
from typing import Any

Document = dict[str, Any]
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


def complete(user_id: object, name: str = "Ann") -> Document:
    """A document in the service's own layout, minus the version older releases did not write."""
    return {"_id": user_id, "name": name, "created_at": CREATED, "updated_at": CREATED}
