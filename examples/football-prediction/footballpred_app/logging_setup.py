"""One log format for the API and the CLIs (the rehearsal greps levels in container logs)."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)
    # Client libraries log every request (httpx) and, while a broker is down, several
    # ERROR lines per reconnect attempt (kafka-python). Their failures reach us as
    # exceptions, futures and callbacks, which we log once each, with context.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
