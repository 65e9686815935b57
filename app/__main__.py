"""`python -m app`: load settings, configure logging, serve."""

from __future__ import annotations

import asyncio
import sys

from pydantic import ValidationError
from pydantic_settings import SettingsError

from app.lifecycle import serve
from app.observability.logging import configure_logging
from app.settings import ConfigurationError, Settings, describe_errors


def main() -> int:
    """Exit code 2 with one line naming the bad variable if the configuration is invalid."""
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as error:
        print(describe_errors(error), file=sys.stderr)  # noqa: T201 - logging is not set up yet
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    try:
        import uvloop  # noqa: PLC0415 - optional: absent on Windows
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            runner.run(serve(settings))
        except ConfigurationError as error:  # raised while building the app, before serving
            print(f"invalid configuration: {error}", file=sys.stderr)  # noqa: T201
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
