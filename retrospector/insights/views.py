from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from retrospector.core.paging import querystring_without_page
from retrospector.insights.forms import SearchForm
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import search

PAGE_SIZE = 20


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def _kind_links(request, results) -> list[dict]:
    """The count of results of each kind (the kind filter aside), each a link narrowing to it. Past the count's cap
    (insights.search.CANDIDATES) a count reads "1,000+", and a kind not among the counted rows shows no number (it
    may have some: its own link counts them)."""
    current = request.GET.get("kind", "")
    capped = bool(results.counts_at_least)
    links = []
    for kind, label in [("", "Everything"), *SearchDoc.Kind.choices]:
        params = request.GET.copy()
        params.pop("page", None)
        params["kind"] = kind
        if kind == "":
            count = results.total if not current else sum(results.counts.values())
            text = f"{count:,}+" if capped else f"{count:,}"
        else:
            count = results.counts.get(kind, 0)
            text = f"{count:,}+" if kind in results.counts_at_least else ("" if capped and not count else f"{count:,}")
        links.append(
            {
                "kind": kind,
                "label": label,
                "count": count,
                "count_text": text,
                "href": "?" + params.urlencode(),
                "current": kind == current,
            }
        )
    return links


@login_required
def search_page(request):
    form = SearchForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else False
    query = form.cleaned_data.get("q", "") if valid else request.GET.get("q", "")[:500]
    results = search(
        user=request.user,
        query=query,
        filters=form.filters() if valid else None,
        page=_page_number(request),
        page_size=PAGE_SIZE,
    )
    kinds = _kind_links(request, results) if results.terms else []
    return render(
        request,
        "insights/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "kinds": kinds,
            "total_text": f"{results.total:,}",
            "narrowed": valid and form.narrowed,
            "querystring": querystring_without_page(request),
            "previous": results.page - 1 if results.page > 1 else None,
            "next": results.page + 1 if results.page < results.pages else None,
        },
    )
