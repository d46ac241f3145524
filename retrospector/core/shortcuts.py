"""The "visible or 404" and "editable or 403" answers, written once for every page and API endpoint.

The apps' selectors give the permission-filtered rows and the words; these give the answer. A row the user may not
see answers the same 404 as a row that does not exist, so ids cannot be probed."""

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def visible_or_404(queryset: QuerySet[M], pk: int, *, message: str) -> M:
    """Row `pk` of `queryset` (the rows the user may see, as a selector gives them); Http404(message) otherwise."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404(message)
    return found


def all_visible_or_404(queryset: QuerySet, pks: Iterable[int], *, message: str) -> list[int]:
    """The distinct `pks`, in the order given, when every one is a row of `queryset`; otherwise Http404 naming those
    that are not ("No such event on this incident: 7, 9."), whether they exist elsewhere or not at all."""
    wanted = list(dict.fromkeys(pks))
    found = set(queryset.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise Http404(f"{message.removesuffix('.')}: {', '.join(missing)}.")
    return wanted


def editable_or_403(
    queryset: QuerySet[M], pk: int, *, can_edit: Callable[[M], bool], not_found: str, forbidden: str
) -> M:
    """As visible_or_404, then PermissionDenied(forbidden) when `can_edit(row)` is false: someone who may read the row
    learns that they may not change it; someone who may not read it learns nothing more than a 404."""
    found = visible_or_404(queryset, pk, message=not_found)
    if not can_edit(found):
        raise PermissionDenied(forbidden)
    return found
