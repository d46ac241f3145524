"""Build the three export formats of a retrospective from the database."""

from __future__ import annotations

import html
import json
from datetime import UTC

from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from retrospector.core.markdown import restrict_images

from .exchange import JSON_SCHEMA, PRINT_CSS, to_markdown
from .models import Retrospective

EXPORT_FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "json": ("application/json", "json"),
}


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
    return to_markdown(
        title=retrospective.title,
        template_key=version.template.key,
        template_version=version.number,
        incident=_incident_summary(retrospective.incident),
        sections=[{"key": s.key, "title": s.title, "body": s.body} for s in _sections(retrospective)],
    )


def _state_changes(retrospective: Retrospective):
    # `retrospector export-all` prefetches them (with `by`) for many retrospectives at once.
    prefetched = getattr(retrospective, "_prefetched_objects_cache", {})
    if "state_changes" in prefetched:
        return prefetched["state_changes"]
    return retrospective.state_changes.select_related("by")


def retrospective_as_json(retrospective: Retrospective, *, when=_iso) -> dict:
    """The "retrospective" object of the JSON export; `when` writes its times (export-all keeps the microseconds)."""
    version = retrospective.template_version
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
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "kind": s.kind,
                "required": s.required,
                "version": s.version,
                "body": s.body,
                "updated_at": when(s.updated_at),
            }
            for s in _sections(retrospective)
        ],
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
        "retrospective": retrospective_as_json(retrospective),
        "incident": incident_as_json(retrospective.incident),
    }


def export_json_text(retrospective: Retrospective) -> str:
    return json.dumps(export_json(retrospective), indent=2, ensure_ascii=False) + "\n"


def _fmt(value, tz) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def export_html(retrospective: Retrospective, *, tz=None) -> str:
    """A standalone page (inline CSS, no scripts) that prints to a clean PDF."""
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
        f"<style>{PRINT_CSS}</style></head><body>",
        f"<h1>{e(retrospective.title)}</h1>",
        '<dl class="meta">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in meta) + "</dl>",
    ]
    image_hosts = incident.organization.image_hosts
    for section in _sections(retrospective):
        parts.append(f'<section id="section-{e(section.key)}"><h2>{e(section.title)}</h2>')
        shown = restrict_images(section.html, image_hosts) if section.body.strip() else ""
        parts.append(shown or '<p class="empty">Not written.</p>')
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
        # The standalone export carries its own print stylesheet.
        hosts = "".join(f" https://{host}" for host in retrospective.incident.organization.image_hosts)
        response["Content-Security-Policy"] = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:{hosts}"
    return response
