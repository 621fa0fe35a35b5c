"""The changelists' paging: no full ``COUNT(*)``, and one scan of the table at most."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
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
    * Filtered or searched, the list's primary keys are read in its order, up to
      ``COUNT_LIMIT`` of them: the count is how many there are, and a page is the rows of
      its slice of them. A filter served by an index reads at most ten thousand index
      entries; a search that matches few rows scans the table once, not once to count
      and again for the page. The pages past the limit are not offered: narrow the
      filter instead.

    ``estimated`` and ``bounded`` tell the template (``admin/django_plaid/pagination.html``)
    to say "about" or "more than".
    """

    estimated = False
    bounded = False
    #: The filtered list's primary keys, in its order (None when not read).
    ids: list[Any] | None = None

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
        ids = list(rows.values_list("pk", flat=True)[: COUNT_LIMIT + 1])
        if len(ids) > COUNT_LIMIT:
            self.bounded = True
            ids = ids[:COUNT_LIMIT]
        self.ids = ids
        return len(ids)

    def page(self, number: Any) -> Page:
        if self.ids is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(self.rows_of(self.ids[bottom:top]), number, self)

    def rows_of(self, ids: list[Any]) -> QuerySet[Any]:
        """The list's rows with these primary keys, in the list's order."""
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return rows.filter(pk__in=ids)


class ListChangeList(ChangeList):
    """A changelist whose one-page lists reuse the keys its paginator read (no rescan)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        paginator = self.paginator
        whole = (self.show_all and self.can_show_all) or not self.multi_page
        if whole and isinstance(paginator, ListPaginator) and paginator.ids is not None:
            self.result_list = paginator.rows_of(paginator.ids)


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
