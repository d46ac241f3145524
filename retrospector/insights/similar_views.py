"""'Have we seen this before?' on pages: the panel on an incident's page (added by the top layer,
retrospector.views.incident_detail), beside a retrospective's sections (a page part, writeups.page_parts), and a page
of its own that the panel's "compare with my draft" button also answers in place (htmx)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from retrospector.core.http import is_htmx
from retrospector.incidents.selectors import incident_visible_or_404
from retrospector.insights.similar import LIMIT_DEFAULT, TEXT_MAX_CHARS, similar_incidents
from retrospector.writeups.page_parts import PagePart

PANEL_TEMPLATE = "insights/_similar_panel.html"


def similar_panel(*, user, incident, text: str = "", compact: bool = False) -> dict:
    """The panel's context: the incident, what is like it (as `user` may see), and whether a draft was compared."""
    return {
        "template": PANEL_TEMPLATE,
        "incident": incident,
        "results": similar_incidents(user=user, incident=incident, text=text, limit=LIMIT_DEFAULT),
        "with_draft": bool(text.strip()),
        "compact": compact,
    }


def similar_page_part(*, request, retrospective, sections) -> PagePart:
    """Beside the write-up and its editor, in the side column."""
    return PagePart(
        side_template=PANEL_TEMPLATE,
        context=similar_panel(user=request.user, incident=retrospective.incident, compact=True),
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_similar(request, pk):
    """The panel as a page (readable without JavaScript); in place (htmx), the panel alone. A POST carries the draft
    being written (`text`), compared with the past incidents beside the incident's own words; it changes nothing."""
    incident = incident_visible_or_404(user=request.user, pk=pk)
    # `text`, or the open editors' `body` fields, which the panel's button sends along (hx-include).
    drafts = [*request.POST.getlist("text"), *request.POST.getlist("body")] if request.method == "POST" else []
    text = "\n\n".join(drafts)[:TEXT_MAX_CHARS]
    compact = is_htmx(request) and request.POST.get("compact") == "1"
    panel = similar_panel(user=request.user, incident=incident, text=text, compact=compact)
    if is_htmx(request):
        return render(request, PANEL_TEMPLATE, {"part": panel})
    return render(request, "insights/similar.html", {"incident": incident, "part": panel})
