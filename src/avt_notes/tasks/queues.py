"""Broker queue names: processing after stop, and following a recording while it is made."""

PROCESS_QUEUE = "avt.process"
LIVE_QUEUE = "avt.live"
