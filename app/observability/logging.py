"""Structured logs: one JSON object per line on stdout, stdlib loggers included."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import orjson
import structlog

if TYPE_CHECKING:
    from structlog.typing import EventDict, Processor, WrappedLogger

# C0 (but newline and tab), DEL and C1 as visible escapes: a raw ESC from a
# client's path would otherwise drive the developer's terminal.
_CONTROL_ESCAPES = {
    code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if code not in (9, 10)
}
# Only a traceback may span lines; a newline anywhere else could forge a log line.
_LINE_ESCAPES = {**_CONTROL_ESCAPES, 0x0A: "\\n", 0x09: "\\t"}


def escape_control_characters(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Escape control characters in every string key and value, as JSON rendering does."""
    escaped: EventDict = {}
    for key, value in event_dict.items():
        shown = value
        if isinstance(value, str):
            shown = value.translate(_CONTROL_ESCAPES if key == "exception" else _LINE_ESCAPES)
        escaped[str(key).translate(_LINE_ESCAPES)] = shown
    return escaped


def _dumps_bytes(event: object, **_: object) -> bytes:
    return orjson.dumps(event, default=str)


def _dumps_str(event: object, **_: object) -> str:
    return orjson.dumps(event, default=str).decode()


def configure_logging(*, level: str, log_format: str) -> None:
    """Route structlog and stdlib logging (aiohttp, pymongo) through one renderer."""
    level_number = logging.getLevelNamesMapping()[level.upper()]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    renderer: Processor
    logger_factory: structlog.BytesLoggerFactory | structlog.WriteLoggerFactory
    if log_format == "json":
        shared.append(structlog.processors.format_exc_info)
        # Our own lines go out as orjson's bytes, never through str and back.
        renderer = structlog.processors.JSONRenderer(serializer=_dumps_str)
        own_renderer: Processor = structlog.processors.JSONRenderer(serializer=_dumps_bytes)
        logger_factory = structlog.BytesLoggerFactory(file=sys.stdout.buffer)
    else:
        # Tracebacks become text first, so the escaping below reaches them too.
        shared += [structlog.processors.format_exc_info, escape_control_characters]
        # Colours only on a terminal: a redirected log stays plain text.
        renderer = own_renderer = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
        logger_factory = structlog.WriteLoggerFactory(file=sys.stdout)

    structlog.configure(
        processors=[*shared, own_renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level_number),
        logger_factory=logger_factory,
        cache_logger_on_first_use=True,
    )

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level_number)
    # PyMongo logs every command at DEBUG; that is a firehose, not a debug aid.
    logging.getLogger("pymongo").setLevel(max(level_number, logging.INFO))
