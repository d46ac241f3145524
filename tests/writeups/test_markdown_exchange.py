"""Export to Markdown, HTML and JSON; Markdown round-trips through import."""

import json
from pathlib import Path

import pytest

from retrospector.writeups.exchange import MarkdownImportError, parse_markdown
from retrospector.writeups.export import export_html, export_json, export_markdown
from retrospector.writeups.services import retrospective_import_markdown, section_save

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "postmortems"


@pytest.fixture
def written(make_incident, make_retrospective, people):
    retro = make_retrospective(make_incident(services=["checkout-api"]))
    bodies = {
        "summary": "Card payments failed for **41 minutes**.",
        "timeline": (
            "| Time (UTC) | Event | Source |\n|---|---|---|\n"
            "| 14:00 | Errors rise | [alert](https://alerts.example.com/1) |"
        ),
        "contributing-factors": (
            "- A pool limit of 20\n- Retries without jitter\n\n## A heading inside a section\n\nMore text."
        ),
    }
    for key, body in bodies.items():
        s = retro.sections.get(key=key)
        section_save(section=s, body=body, base_version=s.version, by=people["alice"])
    return retro


def test_markdown_export_round_trips_through_import(written, people):
    first = export_markdown(written)
    copy = retrospective_import_markdown(incident=written.incident, text=first, by=people["bob"], source="export.md")
    assert copy.pk != written.pk
    assert export_markdown(copy) == first
    assert copy.template_version == written.template_version
    assert copy.sections.get(key="contributing-factors").body.endswith("More text.")


def test_markdown_export_has_front_matter_and_section_markers(written):
    text = export_markdown(written)
    assert text.startswith("---\nformat: retrospector/1\n")
    assert "## Summary\n<!-- retrospector:section key=summary -->\n\nCard payments failed" in text


def test_html_export_is_standalone_sanitized_and_printable(written, people):
    s = written.sections.get(key="went-well")
    section_save(
        section=s,
        body='<img src=x onerror="alert(1)"> [x](javascript:alert(1))',
        base_version=s.version,
        by=people["alice"],
    )
    html = export_html(written)
    assert html.startswith("<!DOCTYPE html>")
    assert "@media print" in html
    assert "<strong>41 minutes</strong>" in html
    assert "onerror=" not in html and 'href="javascript' not in html and "<script" not in html
    assert '<img src="x">' in html


def test_json_export_carries_the_whole_record_with_a_schema_version(written):
    data = export_json(written)
    assert data["schema_version"] == 1
    assert data["incident"]["services"] == ["checkout-api"]
    assert data["incident"]["started_at"] == "2026-05-04T14:00:00Z"
    keys = [s["key"] for s in data["retrospective"]["sections"]]
    assert keys[0] == "summary"
    json.dumps(data)


def test_export_pages_download_files(written, client_for):
    client = client_for("dana")
    for fmt, content_type in (("md", "text/markdown"), ("html", "text/html"), ("json", "application/json")):
        response = client.get(f"/retrospectives/{written.pk}/export.{fmt}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert "attachment" in response["Content-Disposition"]


def test_the_html_export_keeps_its_own_policy(written, client_for):
    # The standalone file carries its print stylesheet inline; the site's policy would block it.
    client = client_for("dana")
    # Images from other hosts only when the organization allows them (tests/accounts/test_image_hosts.py).
    own = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert client.get(f"/retrospectives/{written.pk}/export.html")["Content-Security-Policy"] == own
    assert "default-src 'self'" in client.get(f"/retrospectives/{written.pk}/export.md")["Content-Security-Policy"]


def test_a_real_postmortem_imports_one_section_per_heading(make_incident, people):
    text = (FIXTURES / "dfds-coredns-upgrade.md").read_text()
    retro = retrospective_import_markdown(
        incident=make_incident(), text=text, by=people["alice"], source="dfds-coredns-upgrade.md"
    )
    assert retro.title == "CoreDNS upgrade issue"
    keys = list(retro.sections.values_list("key", flat=True))
    assert keys[:3] == ["summary", "timeline", "contributing-factors"]
    assert "| 2020-02-03 11:21 |" in retro.sections.get(key="timeline").body
    assert "<table>" in retro.sections.get(key="timeline").html


def test_another_real_postmortem_keeps_its_own_section_names(make_incident, people):
    text = (FIXTURES / "learningequality-certificate-expired.md").read_text()
    retro = retrospective_import_markdown(incident=make_incident(), text=text, by=people["alice"])
    titles = list(retro.sections.values_list("title", flat=True))
    assert titles[:4] == ["Date", "Authors", "Status", "Summary"]
    assert "Root Causes" in titles


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("---\ntitle: x\n", "never closed"),
        ("---\ntitle: [x\n---\n", "invalid front matter"),
        ("---\nformat: retrospector/9\n---\n", "unsupported format"),
        ("<!-- retrospector:section key=summary -->\n", "must follow its '## Title' heading"),
        ("## A\n<!-- retrospector:section key=a -->\n\n## B\n<!-- retrospector:section key=a -->\n", "appears twice"),
        ("", "empty"),
    ],
)
def test_a_broken_markdown_import_is_refused_with_its_line(text, fragment):
    with pytest.raises(MarkdownImportError) as excinfo:
        parse_markdown(text, source="broken.md")
    assert fragment in str(excinfo.value)
    assert "broken.md" in str(excinfo.value)


def test_a_failed_import_saves_nothing(make_incident, people):
    from django.core.exceptions import ValidationError

    from retrospector.writeups.models import Retrospective

    incident = make_incident()
    text = "## A\n<!-- retrospector:section key=a -->\n\n" + "x" * 1_000_001 + "\n"
    with pytest.raises(ValidationError):
        retrospective_import_markdown(incident=incident, text=text, by=people["alice"])
    assert not Retrospective.objects.exists()


def test_a_section_quoting_the_export_format_in_code_survives_the_round_trip():
    from retrospector.writeups.exchange import to_markdown

    quoted = (
        "How an export looks:\n\n```markdown\n## Summary\n<!-- retrospector:section key=summary -->\n```\n\n"
        "## C# services"
    )
    sections = [
        {"key": "summary", "title": "Summary", "body": "Short."},
        {"key": "format-notes", "title": "Format notes", "body": quoted},
    ]
    text = to_markdown(title="Export", template_key="postmortem", template_version=1, incident={}, sections=sections)
    parsed = parse_markdown(text)
    assert [(s.key, s.title, s.body) for s in parsed.sections] == [
        ("summary", "Summary", "Short."),
        ("format-notes", "Format notes", quoted),
    ]


def test_the_print_view_opens_in_the_browser_and_the_download_stays(written, client_for):
    client = client_for("dana")
    page = client.get(f"/retrospectives/{written.pk}/")
    detail = page.content.decode()
    assert f'href="/retrospectives/{written.pk}/print">Print view</a>' in detail
    assert f'href="/retrospectives/{written.pk}/export.html" download>HTML</a>' in detail

    shown = client.get(f"/retrospectives/{written.pk}/print")

    assert shown.status_code == 200 and shown["Content-Type"] == "text/html; charset=utf-8"
    assert shown["Content-Disposition"].startswith("inline;")
    html = shown.content.decode()
    assert "@media print" in html and ".print-toolbar{display:none}" in html
    assert "<strong>41 minutes</strong>" in html
    assert f'<a href="/retrospectives/{written.pk}/export.html" download>Download as an HTML file</a>' in html
    assert "script-src 'self'" in shown["Content-Security-Policy"]
    downloaded = client.get(f"/retrospectives/{written.pk}/export.html")
    assert "attachment" in downloaded["Content-Disposition"] and "print-toolbar" not in downloaded.content.decode()
