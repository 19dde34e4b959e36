"""Counting related rows for a list page without a query per row or a GROUP BY over the list."""

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def related_count(rows: QuerySet[Any], *, pointing_through: str) -> Coalesce:
    """How many of `rows` point at the outer row through the foreign key `pointing_through`, as a
    correlated subquery: the database counts only for the rows a page shows, in the page's query."""
    counted = (
        rows.filter(**{pointing_through: OuterRef("pk")})
        .order_by()
        .values(pointing_through)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)
