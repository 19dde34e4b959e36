"""Reading the wait a source's answer asks for."""

import httpx
import pytest

from kraken_bot.adapters.http_retries import retry_after_s


@pytest.mark.parametrize(
    ("headers", "wait_s"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": " 0 "}, 0.0),
        # A date counts from the answer's own Date, whatever our clock says.
        (
            {
                "Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT",
                "Date": "Wed, 21 Oct 2099 07:26:30 GMT",
            },
            90.0,
        ),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "1e9"}, None),
        ({}, None),
    ],
)
def test_retry_after_gives_seconds_or_a_date(headers: dict[str, str], wait_s: float | None) -> None:
    assert retry_after_s(httpx.Response(429, headers=headers)) == wait_s
