"""The broker for the queue tests: a private RabbitMQ virtual host per test session.

A private vhost keeps these tests from consuming (or purging) messages of a
deployment or another test run on the same broker. Without `rabbitmqctl`
(or with AVT_TEST_BROKER_URL set) the given broker is used as it is.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672/"


def _rabbitmqctl(*args: str) -> bool:
    try:
        subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def _reachable(url: str) -> bool:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    given = os.environ.get("AVT_TEST_BROKER_URL")
    if given or not _reachable(DEFAULT_BROKER):
        if not given:
            pytest.skip(f"no broker at {DEFAULT_BROKER}")
        yield given
        return
    vhost = f"avt-test-{uuid.uuid4().hex[:8]}"
    if not _rabbitmqctl("add_vhost", vhost):
        yield DEFAULT_BROKER + "/"  # the default vhost "/"
        return
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield DEFAULT_BROKER + vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)
