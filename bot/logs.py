"""One log setup for every process, in which no text from a request can start a log line of its own.

A record's message (and the arguments put into it) is written on one line, its line breaks and other
control characters escaped; a traceback keeps its lines, each indented, so a new record is always a line
that starts at the margin.
"""
import logging

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"

# What str.splitlines() breaks on, terminal escapes and the rest of C0 and C1; a tab stays.
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)] if code != 0x09}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    return text.translate(_ESCAPES)


def _indented(text: str) -> str:
    return "\n".join("    " + one_line(line) for line in text.splitlines())


class OneLineFormatter(logging.Formatter):
    """Wraps a handler's formatter (ours, gunicorn's) and hands it a record that is safe to write."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg, safe.args = one_line(record.getMessage()), None
        if record.exc_info or record.exc_text:
            safe.exc_text = _indented(record.exc_text or self.inner.formatException(record.exc_info))
        if record.stack_info:
            safe.stack_info = _indented(record.stack_info)
        return self.inner.format(safe)


def configure_logging(level: int = logging.INFO) -> None:
    """INFO and up to standard error, each record on its own line; also under gunicorn, whose own
    handlers are made as safe."""
    logging.basicConfig(level=level, format=FORMAT)
    for name in ("", "gunicorn.error", "gunicorn.access"):
        for handler in logging.getLogger(name).handlers:
            if not isinstance(handler.formatter, OneLineFormatter):
                handler.setFormatter(OneLineFormatter(handler.formatter or logging.Formatter(FORMAT)))
