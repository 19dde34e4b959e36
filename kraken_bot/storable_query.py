"""Query strings made storable before any view reads them.

A filter in the admin (`?channel_id=%00`) put its value into a query as it came, and PostgreSQL
refuses a NUL character in text: a 500. This middleware replaces, in every parameter, the
characters no database stores (`domain.storable_text`), so such a filter finds nothing, on
both databases.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.utils.decorators import async_only_middleware

from domain import storable_text

GetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


@async_only_middleware
def storable_query(get_response: GetResponse) -> GetResponse:
    async def middleware(request: HttpRequest) -> HttpResponseBase:
        request.GET = QueryDict(urlencode(_storable(request.GET)))
        return await get_response(request)

    return middleware


def _storable(query: QueryDict) -> list[tuple[str, str]]:
    return [
        (storable_text.storable(key), storable_text.storable(value))
        for key, values in query.lists()
        for value in values
    ]
