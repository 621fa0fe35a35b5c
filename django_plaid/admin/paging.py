"""The changelists' paginator: no full ``COUNT(*)`` over tables of millions of rows."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

#: A filtered or searched list counts at most this many rows ("more than 10,000").
COUNT_LIMIT = 10_000
#: An unfiltered table that PostgreSQL estimates at this many rows or more is not counted:
#: the planner's estimate (``pg_class.reltuples``) is shown as "about N".
ESTIMATE_FROM = 100_000


class ListPaginator(Paginator):
    """Counts a changelist without reading the whole table.

    * Unfiltered, on PostgreSQL, a big table's row count is the planner's estimate
      (``reltuples``, kept fresh by autovacuum's ANALYZE): no scan at all.
    * Otherwise the count stops at ``COUNT_LIMIT`` rows (``SELECT COUNT(*) FROM (...
      LIMIT 10001)``), so a filter matching most of a million rows costs what ten
      thousand do. The pages past the limit are not offered; narrow the filter instead.

    ``estimated`` and ``bounded`` tell the template (``admin/django_plaid/pagination.html``)
    to say "about" or "more than".
    """

    estimated = False
    bounded = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        if not rows.query.where and not rows.query.distinct:
            estimate = table_estimate(rows)
            if estimate is not None and estimate >= ESTIMATE_FROM:
                self.estimated = True
                return estimate
        counted = rows.order_by()[: COUNT_LIMIT + 1].count()
        if counted > COUNT_LIMIT:
            self.bounded = True
            return COUNT_LIMIT
        return counted


def table_estimate(rows: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows in ``rows``'s table (None elsewhere, or unknown)."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(rows.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: never analyzed (PostgreSQL 14+); 0 may be "never analyzed" on older servers.
    if row is None or row[0] is None or row[0] <= 0:
        return None
    return int(row[0])
