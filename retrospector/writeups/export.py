"""Build the three export formats of a retrospective from the database.

The apps above writeups add to a section's export without writeups importing them (the layers point down): an app
lists functions in `retrospective_export_parts` on its AppConfig (dotted paths, like `retrospective_page_parts`). Each
is called as `part(retrospective=...)` and returns {section key: SectionExtra} (or None): the Markdown export adds the
extra's Markdown under a `### title` heading at the end of the section, the HTML export its sanitized HTML under an
<h3>, and the JSON export its data as the section's `name` (e.g. "findings"), an empty list included.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from retrospector.core.hooks import app_hooks
from retrospector.core.markdown import restrict_images

from .exchange import JSON_SCHEMA, PRINT_CSS, to_markdown
from .models import Retrospective

EXPORT_FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "json": ("application/json", "json"),
}


EXPORT_PARTS = "retrospective_export_parts"  # the AppConfig attribute that lists them


@dataclass(frozen=True)
class SectionExtra:
    """What an app above adds to one section of the exports."""

    name: str  # its key in the JSON export's section ("findings")
    title: str  # its heading in the Markdown and HTML exports ("Findings")
    markdown: str  # Markdown, empty when there is nothing to show
    html: str  # sanitized HTML (the caller rendered untrusted text with core.markdown)
    data: list  # JSON-ready


def export_extras(retrospective: Retrospective) -> dict[str, list[SectionExtra]]:
    """{section key: [SectionExtra, ...]} from every app's export parts, in the order of INSTALLED_APPS."""
    extras: dict[str, list[SectionExtra]] = defaultdict(list)
    for part in app_hooks(EXPORT_PARTS):
        for key, extra in (part(retrospective=retrospective) or {}).items():
            extras[key].append(extra)
    return extras


def _body_with_extras(body: str, extras: list[SectionExtra]) -> str:
    shown = [extra for extra in extras if extra.markdown.strip()]
    if not shown:
        return body
    parts = [body.rstrip("\n")] if body.strip() else []
    parts += [f"### {extra.title}\n\n{extra.markdown.strip()}" for extra in shown]
    return "\n\n".join(parts)


def _iso(value):
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _sections(retrospective: Retrospective):
    return list(retrospective.sections.all())


def _incident_summary(incident) -> dict:
    return {
        "id": incident.pk,
        "title": incident.title,
        "severity": incident.severity.key,
        "started_at": _iso(incident.started_at),
    }


def export_markdown(retrospective: Retrospective) -> str:
    version = retrospective.template_version
    extras = export_extras(retrospective)
    return to_markdown(
        title=retrospective.title,
        template_key=version.template.key,
        template_version=version.number,
        incident=_incident_summary(retrospective.incident),
        sections=[
            {"key": s.key, "title": s.title, "body": _body_with_extras(s.body, extras.get(s.key, []))}
            for s in _sections(retrospective)
        ],
    )


def _state_changes(retrospective: Retrospective):
    # `retrospector export-all` prefetches them (with `by`) for many retrospectives at once.
    prefetched = getattr(retrospective, "_prefetched_objects_cache", {})
    if "state_changes" in prefetched:
        return prefetched["state_changes"]
    return retrospective.state_changes.select_related("by")


def _section_as_json(section, extras: list[SectionExtra], when) -> dict:
    data = {
        "key": section.key,
        "title": section.title,
        "kind": section.kind,
        "required": section.required,
        "version": section.version,
        "body": section.body,
        "updated_at": when(section.updated_at),
    }
    for extra in extras:
        data[extra.name] = extra.data
    return data


def retrospective_as_json(retrospective: Retrospective, *, when=_iso, extras: bool = False) -> dict:
    """The "retrospective" object of the JSON export; `when` writes its times (export-all keeps the microseconds).
    `extras`: with what the apps above add to its sections (export_extras; the export does, export-all keeps to the
    write-up's own records)."""
    version = retrospective.template_version
    added = export_extras(retrospective) if extras else {}
    return {
        "id": retrospective.pk,
        "title": retrospective.title,
        "state": retrospective.state,
        "owner": retrospective.owner.username if retrospective.owner else None,
        "shadow": retrospective.shadow.username if retrospective.shadow else None,
        "due_at": retrospective.due_at.isoformat() if retrospective.due_at else None,
        "created_at": when(retrospective.created_at),
        "updated_at": when(retrospective.updated_at),
        "done_at": when(retrospective.done_at),
        "template": {"key": version.template.key, "version": version.number, "name": version.name},
        "sections": [_section_as_json(s, added.get(s.key, []), when) for s in _sections(retrospective)],
        "state_changes": [
            {
                "from": c.from_state,
                "to": c.to_state,
                "by": c.by.username if c.by else None,
                "at": when(c.at),
                "note": c.note,
            }
            for c in _state_changes(retrospective)
        ],
    }


def incident_as_json(incident, *, when=_iso) -> dict:
    """The "incident" object of the JSON export (services, responders and links may be prefetched)."""
    return {
        "id": incident.pk,
        "title": incident.title,
        "summary": incident.summary,
        "team": incident.team.slug,
        "severity": incident.severity.key,
        "status": incident.status,
        "visibility": incident.visibility,
        "services": sorted(s.name for s in incident.services.all()),
        "responders": sorted(u.username for u in incident.responders.all()),
        "links": [{"kind": link.kind, "url": link.url, "label": link.label} for link in incident.links.all()],
        "started_at": when(incident.started_at),
        "detected_at": when(incident.detected_at),
        "acknowledged_at": when(incident.acknowledged_at),
        "mitigated_at": when(incident.mitigated_at),
        "resolved_at": when(incident.resolved_at),
    }


def export_json(retrospective: Retrospective) -> dict:
    return {
        "$schema": JSON_SCHEMA,
        "schema_version": 1,
        "exported_at": _iso(timezone.now()),
        "retrospective": retrospective_as_json(retrospective, extras=True),
        "incident": incident_as_json(retrospective.incident),
    }


def export_json_text(retrospective: Retrospective) -> str:
    return json.dumps(export_json(retrospective), indent=2, ensure_ascii=False) + "\n"


def _fmt(value, tz) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


PRINT_TOOLBAR_CSS = """
.print-toolbar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 1.5rem;padding:.6rem .8rem;\
background:#f1f3f7;border:1px solid #d7dce5;border-radius:8px;font-size:.92rem}
.print-toolbar button{font:inherit;padding:.35rem .9rem;border-radius:6px;border:1px solid #2b59c3;background:#2b59c3;\
color:#fff;cursor:pointer}.print-toolbar a{color:#2b59c3}.print-toolbar .hint{color:#4a5468}
@media print{.print-toolbar{display:none}}
"""


def _print_toolbar(retrospective: Retrospective) -> str:
    """What the print view shows above the write-up on screen only: a Print button (print.js shows it: the page works
    without scripts too), the way back, and the download."""
    from django.templatetags.static import static
    from django.urls import reverse

    back = reverse("retrospective_detail", args=[retrospective.pk])
    download = reverse("retrospective_export", args=[retrospective.pk, "html"])
    return (
        '<nav class="print-toolbar" aria-label="Print view">'
        '<button type="button" data-print hidden>Print or save as PDF</button>'
        '<span class="hint" data-print-hint>Print it, or save it as a PDF, with your browser\'s Print command '
        "(Ctrl+P, or ⌘P on a Mac).</span>"
        f'<a href="{html.escape(back)}">Back to the retrospective</a>'
        f'<a href="{html.escape(download)}" download>Download as an HTML file</a>'
        "</nav>"
        f'<script src="{html.escape(static("app/print.js"))}" defer></script>'
    )


def export_html(retrospective: Retrospective, *, tz=None, print_view: bool = False) -> str:
    """A standalone page (inline CSS, no scripts) that prints to a clean PDF. The print view, which opens in the
    browser, has a toolbar above it on screen (and one script, for its Print button)."""
    tz = tz or timezone.get_current_timezone()
    incident = retrospective.incident
    e = html.escape
    meta = [
        ("Incident", f"#{incident.pk} {incident.title}"),
        ("Severity", incident.severity.key),
        ("Team", incident.team.name),
        ("State", retrospective.get_state_display()),
        ("Owner", str(retrospective.owner) if retrospective.owner else "—"),
        ("Started", _fmt(incident.started_at, tz)),
        ("Resolved", _fmt(incident.resolved_at, tz)),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(retrospective.title)}</title>",
        f"<style>{PRINT_CSS}{PRINT_TOOLBAR_CSS if print_view else ''}</style></head><body>",
        _print_toolbar(retrospective) if print_view else "",
        f"<h1>{e(retrospective.title)}</h1>",
        '<dl class="meta">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in meta) + "</dl>",
    ]
    image_hosts = incident.organization.image_hosts
    extras = export_extras(retrospective)
    for section in _sections(retrospective):
        parts.append(f'<section id="section-{e(section.key)}"><h2>{e(section.title)}</h2>')
        shown = restrict_images(section.html, image_hosts) if section.body.strip() else ""
        added = [extra for extra in extras.get(section.key, []) if extra.html.strip()]
        parts.append(shown or ("" if added else '<p class="empty">Not written.</p>'))
        for extra in added:
            parts.append(f"<h3>{e(extra.title)}</h3>{restrict_images(extra.html, image_hosts)}")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def export_response(retrospective: Retrospective, fmt: str) -> HttpResponse:
    """The export in format `fmt` (a key of EXPORT_FORMATS) as a download, for the page and the API alike."""
    content_type, ext = EXPORT_FORMATS[fmt]
    body = {"md": export_markdown, "html": export_html, "json": export_json_text}[fmt](retrospective)
    response = HttpResponse(body, content_type=content_type)
    filename = f"retrospective-{retrospective.pk}-{slugify(retrospective.title)[:60] or 'export'}.{ext}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if fmt == "html":
        response["Content-Security-Policy"] = _standalone_csp(retrospective)
    return response


def _standalone_csp(retrospective: Retrospective, *, script: bool = False) -> str:
    # The standalone page carries its own print stylesheet; the print view also loads print.js from this site.
    hosts = "".join(f" https://{host}" for host in retrospective.incident.organization.image_hosts)
    policy = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:{hosts}"
    if script:
        policy += "; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    return policy


def print_response(retrospective: Retrospective) -> HttpResponse:
    """The write-up as a page that opens in the browser, ready to print (the same page as the HTML export, with a
    toolbar on screen); the export stays a download."""
    response = HttpResponse(export_html(retrospective, print_view=True), content_type="text/html; charset=utf-8")
    filename = f"retrospective-{retrospective.pk}-{slugify(retrospective.title)[:60] or 'export'}.html"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Content-Security-Policy"] = _standalone_csp(retrospective, script=True)
    return response
