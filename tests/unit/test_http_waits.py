"""How long a service asks to wait, read from its headers, and how waits are announced."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest

from karto_smtp.providers.http import seconds, server_wait


def response(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, (12.0, "Retry-After")),
        ({"Retry-After": "-3"}, (0.0, "Retry-After")),
        ({"X-RateLimit-Reset": "45"}, (45.0, "X-RateLimit-Reset")),
        ({"Retry-After": "7", "X-RateLimit-Reset": "45"}, (7.0, "Retry-After")),
        ({"X-RateLimit-Reset": "soon"}, None),
        ({"X-RateLimit-Reset": "nan"}, None),
        ({}, None),
    ],
)
def test_seconds_named_by_a_header(headers, expected):
    assert server_wait(response(**headers)) == expected


def test_retry_after_as_a_date_and_reset_as_a_unix_time():
    in_ten = formatdate(time.time() + 10, usegmt=True)
    wait, header = server_wait(response(**{"Retry-After": in_ten}))
    assert header == "Retry-After" and 8 <= wait <= 10
    wait, header = server_wait(response(**{"X-RateLimit-Reset": str(int(time.time()) + 20)}))
    assert header == "X-RateLimit-Reset" and 18 <= wait <= 20


@pytest.mark.parametrize(
    ("value", "shown"), [(12.0, "12 s"), (1.5, "1.5 s"), (0.5, "0.5 s"), (0.04, "0.04 s")]
)
def test_waits_are_announced_in_plain_seconds(value, shown):
    assert seconds(value) == shown
