from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet

# Not ninja 1.7.1's pagination: its CursorPagination keys on one field (+ an offset) and answers next/previous URLs; our
# cursors (timeline_window) are an (occurred_at, id) keyset; its PageNumberPagination answers {items, count}, no pages.
# Below this many skipped rows a plain OFFSET is as fast as the extra query of a deferred join.
DEFERRED_JOIN_FROM = 200


def rows_between(queryset, start: int, stop: int, *, fields: tuple[str, ...] = ()) -> list:
    """Rows start:stop of an ordered queryset; deep pages are read with a "deferred join". With `fields`, the rows are
    dicts of those fields (QuerySet.values), the primary key among them.

    With a plain OFFSET the database builds (joins, converts) every row it then skips: page 200 of the incident
    list built 5,000. Selecting only the page's primary keys first lets it skip index entries instead; the page's
    25 rows are then read with their joins and prefetches, in the queryset's order.
    """
    if start < DEFERRED_JOIN_FROM or not isinstance(queryset, QuerySet):
        return list((queryset.values(*fields) if fields else queryset)[start:stop])
    # The keys from the queryset itself: the joins that `fields` may need (team__slug) would slow the skipping down.
    keys = list(queryset.prefetch_related(None).values_list("pk", flat=True)[start:stop])
    # Unordered, so that SQLite looks the rows up by key rather than walking the list's index again.
    found = queryset.filter(pk__in=keys).order_by()
    if fields:
        pk_name = queryset.model._meta.pk.attname
        rows = {row[pk_name]: row for row in found.values(*fields)}
    else:
        rows = {row.pk: row for row in found}
    return [rows[key] for key in keys if key in rows]


class DeferredJoinPaginator(Paginator):
    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(rows_between(self.object_list, bottom, top), number, self)


def paginate(request, queryset, *, per_page: int | None = None):
    """Page-number pagination that never errors on a bad page number."""
    paginator = DeferredJoinPaginator(queryset, per_page or settings.PAGE_SIZE)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
