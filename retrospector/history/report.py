"""The history import's report as text (the command's default; the page renders the same dict in HTML)."""

from __future__ import annotations

from .services import ACTION_STATUSES

MATCH_WORDS = {"exact": "same title", "synonym": "synonym", "fuzzy": "close title", "mapping": "mapping file"}
OUTCOME_WORDS = {
    "imported": "imported",
    "updated": "updated (changed file: new revisions)",
    "unchanged": "unchanged (already imported)",
    "would import": "would be imported",
    "would update": "would be updated (changed file)",
    "skipped": "SKIPPED",
}


def _field(recognised: dict, name: str, label: str) -> str | None:
    value = recognised.get(name)
    if not value or value.get("value") in (None, ""):
        return None
    where = f"{value['source']}" + (f", line {value['line']}" if value.get("line") else "")
    return f"{label}: {value['value']} ({where})"


def file_lines(entry: dict) -> list[str]:
    lines = [f"{entry['file']}: {OUTCOME_WORDS.get(entry['outcome'], entry['outcome'])}"]
    if entry.get("note"):
        lines.append(f"  {entry['note']}")
    if entry.get("incident"):
        lines.append(f"  incident #{entry['incident']['id']}, write-up {entry['incident']['url']}")
    r = entry.get("recognised")
    if r:
        for name, label in (("title", "title"), ("incident_id", "id"), ("started_at", "start"), ("ended_at", "end")):
            if text := _field(r, name, label):
                lines.append(f"  {text}")
        if r.get("duration_minutes") is not None:
            lines.append(f"  duration: {r['duration_minutes']} min")
        if r.get("milestones"):
            named = (f"{moment.removesuffix('_at')} {at}" for moment, at in r["milestones"].items())
            lines.append(f"  milestones: {', '.join(named)}")
        if r.get("severity"):
            lines.append(f"  severity: {r['severity']['value']} -> {r['severity_level']}")
        if r.get("services"):
            lines.append(f"  services: {', '.join(r['services'])}")
        lines.append(
            f"  template: {r['template'] or 'postmortem'}; sections: {r['sections_matched']} matched, "
            f"{r['sections_extra']} kept as extra"
        )
        for s in r["sections"]:
            how = MATCH_WORDS.get(s["match"], "kept as an extra section")
            score = f" {s['score']:.2f}" if s["match"] == "fuzzy" else ""
            target = f" -> {s['key']}" if s["key"] else ""
            lines.append(f"    line {s['line']}: {s['title']!r}{target} ({how}{score})")
        lines.append(
            f"  timeline: {r['events']} events"
            + (f", {r['events_kept_as_text']} rows kept as text" if r["events_kept_as_text"] else "")
        )
        unstated = r.get("action_items_unstated")
        lines.append(
            f"  action items: {r['action_items']} ({r['action_items_done']} done"
            + (f", {unstated} without a status" if unstated else "")
            + ")"
            + (f"; tickets {', '.join(r['tickets'][:10])}" if r["tickets"] else "")
        )
    checks = entry.get("checks")
    if checks:
        rules = ", ".join(f"{rule} {n}" for rule, n in checks["by_rule"].items())
        lines.append(f"  write-up checks: {checks['count']} finding(s)" + (f" ({rules})" if rules else ""))
    for p in entry["problems"]:
        where = f"{p['file']}" + (f":{p['line']}" if p.get("line") else "")
        if p["message"].startswith(p["file"]):  # the walk's own problems name the file already
            where, message = "", p["message"]
        else:
            where, message = f"{where}: ", p["message"]
        lines.append(f"  problem: {where}{message} -> {p['action']}")
    return lines


def report_text(report: dict) -> str:
    out: list[str] = []
    for entry in report["files"]:
        out.extend(file_lines(entry))
        out.append("")
    return "\n".join(out + totals_lines(report))


def totals_lines(report: dict) -> list[str]:
    out: list[str] = []
    t = report["totals"]
    out.append(
        f"{t['files']} file(s): {t['imported']} imported, {t['updated']} updated, {t['unchanged']} unchanged, "
        f"{t['would import']} would be imported, {t['would update']} would be updated, {t['skipped']} skipped."
    )
    out.append(
        f"Sections {t['sections_matched']} matched and {t['sections_extra']} kept as extra; "
        f"{t['events']} timeline events; {t['action_items']} action items; {t['problems']} problem(s); "
        f"{t['findings']} write-up check finding(s)."
    )
    if t.get("action_items_unstated"):
        given = report.get("action_status") or "planned"
        others = ", ".join(status for status in ACTION_STATUSES if status != given)
        out.append(
            f"{t['action_items_unstated']} action item(s) had no status in their write-up and "
            f"{'would be' if report.get('dry_run') else 'were'} imported as {given} (--action-status {others} to "
            "choose otherwise)."
        )
    if t.get("findings_by_rule"):
        out.append("Findings by rule: " + ", ".join(f"{rule} {n}" for rule, n in t["findings_by_rule"].items()))
    if report.get("dry_run"):
        out.append("Dry run: nothing was saved.")
    return out
