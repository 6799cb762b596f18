"""Debug output: one switch (`--debug` or KARTO_LOG=debug) and one logging setup.

Modules log through `logging.getLogger(__name__)` (all under `karto_smtp`); nothing is
shown unless debug is on, and then it goes to stderr so stdout stays the command's output.
Only karto-smtp's own loggers are turned up: libraries keep their defaults, so nothing
they might log (headers, bodies) appears unless karto-smtp logs it, redacted, itself.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from karto_smtp.redaction import RedactingFilter

LOG_ENV = "KARTO_LOG"
ROOT_LOGGER = "karto_smtp"

_state = {"debug": False}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg, unused-ignore]
    """The handler setup_logging adds (and removes again on the next call)."""


def debug_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when KARTO_LOG asks for debug output (`debug`, any case)."""
    env = os.environ if environ is None else environ
    return env.get(LOG_ENV, "").strip().lower() == "debug"


def setup_logging(debug: bool) -> None:
    """Turn debug output on (DEBUG records of `karto_smtp.*` on stderr) or off.

    Safe to call more than once: it replaces the handler it added before.
    """
    _state["debug"] = debug
    logger = logging.getLogger(ROOT_LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    if not debug:
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
        return
    # sys.stderr as it is now: main() calls this on every run, after any redirection.
    handler = _StderrHandler(sys.stderr)
    # Request lines carry URLs and services' words: scrubbed of every secret on the way out.
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        logging.Formatter("debug %(asctime)s.%(msecs)03d %(name)s: %(message)s", "%H:%M:%S")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    # The application's own handler only: no duplicate lines through a root handler.
    logger.propagate = False


def debug_enabled() -> bool:
    """Whether this run asked for debug output (tracebacks, request logs)."""
    return _state["debug"]
