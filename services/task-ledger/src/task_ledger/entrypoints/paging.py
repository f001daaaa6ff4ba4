"""Paged lists that stay plain JSON arrays: the page is chosen by `page`/`page_size`, the
total travels in `X-Total-Count` and the next page in a `Link: <…>; rel="next"` header (as
GitHub's API does), so clients reading the first page need no change."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

Page = Annotated[int, Query(ge=1, le=100_000, description="页码（从 1 开始）")]
PageSize = Annotated[int, Query(ge=1, le=200, description="每页条数（最多 200）")]


def announce(request: Request, response: Response, page: int, page_size: int, total: int) -> None:
    response.headers["X-Total-Count"] = str(total)
    if page * page_size < total:
        following = request.url.include_query_params(page=page + 1, page_size=page_size)
        response.headers["Link"] = f'<{following}>; rel="next"'
