import json
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.models import Team
from retrospector.accounts.selectors import command_user
from retrospector.history.report import file_lines, totals_lines
from retrospector.history.services import (
    ACTION_STATUSES,
    DATE_ORDERS,
    history_import,
    history_options_parse,
    history_run_record,
    inputs_from_paths,
    paths_text,
    reading_processes,
)


class Command(BaseCommand):
    help = (
        "Import past postmortems: `history import PATH... --team TEAM [--org ORG] [--mapping FILE] [--tz ZONE] "
        "[--private] [--dates day-first|month-first] [--action-status planned|done|dropped] [--dry-run] "
        "[--format text|json]`. Markdown (with or without front matter), HTML (Confluence, Google Docs), Word files, "
        "and folders or zips of any mix."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import past write-ups as incidents with done, read-only write-ups.")
        imp.add_argument("paths", nargs="+", metavar="PATH", help="Files, folders or zips.")
        imp.add_argument("--team", required=True, help="The team (slug) the history belongs to.")
        imp.add_argument("--org", help="The organization (slug), when the team's slug is in several.")
        imp.add_argument(
            "--mapping", help="A YAML or JSON file that overrides what is read (template, sections, fields)."
        )
        imp.add_argument("--tz", help="Zone of times written without one, e.g. Europe/Paris (default: UTC).")
        imp.add_argument("--private", action="store_true", help="Make the incidents private to the team.")
        imp.add_argument(
            "--dates",
            choices=list(DATE_ORDERS),
            help="How to read a date like 04/03/2021 (April or March?) when a file's other dates do not tell: "
            "day-first or month-first (default: not guessed, and reported).",
        )
        imp.add_argument(
            "--action-status",
            dest="action_status",
            choices=list(ACTION_STATUSES),
            default="planned",
            help="What action items whose write-up gives no status (no checkbox, status column or word) become: "
            "planned (open recommendations, the default), done or dropped (kept out of the open list).",
        )
        imp.add_argument("--as-user", dest="as_user", help="Who the import is recorded as (default: the first admin).")
        imp.add_argument("--dry-run", action="store_true", help="Read and report; save nothing.")
        imp.add_argument("--no-checks", action="store_true", help="Leave the write-up checker out of the report.")
        imp.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **opts):
        team = self._team(opts["team"], opts["org"])
        by = self._user(opts["as_user"], team)
        mapping_text = None
        if opts["mapping"]:
            try:
                mapping_text = Path(opts["mapping"]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"--mapping: {opts['mapping']} cannot be read ({exc}).") from None
        try:
            options = history_options_parse(
                by=by,
                team=team,
                tz=opts["tz"],
                mapping_text=mapping_text,
                mapping_name=opts["mapping"] or "mapping",
                visibility="private" if opts["private"] else None,
                dry_run=opts["dry_run"],
                action_status=opts["action_status"],
                dates=opts["dates"],
            )
        except ValidationError as exc:
            raise CommandError(
                " ".join(f"--{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs)
            ) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        tty = sys.stderr.isatty()

        def progress(n):
            if tty and n % 100 == 0:
                sys.stderr.write(f"\r{n:,} files read…")
                sys.stderr.flush()

        as_json = opts["format"] == "json"
        encoder = json.JSONEncoder(ensure_ascii=False, indent=2, default=str)
        printed = 0
        if as_json:  # one JSON document, {"dry_run", "team", "files": [...], "totals", "import_id"}, as it goes
            self.stdout.write(
                f'{{\n  "dry_run": {json.dumps(options.dry_run)},\n  "team": {json.dumps(options.team.slug)},\n'
                '  "files": [',
                ending="",
            )

        def on_file(entry: dict) -> None:
            # Printed as each file is done (its batch saved), not kept: a big history's whole report took hundreds
            # of MB. The report kept with the run holds a short form of each file (services.compact_entry).
            nonlocal printed
            if as_json:
                self.stdout.write(("," if printed else "") + "\n" + _indented(encoder.encode(entry), "    "), ending="")
            else:
                self.stdout.write("\n".join(file_lines(entry)) + "\n\n")
            printed += 1

        report = history_import(
            inputs=inputs_from_paths(opts["paths"]),
            options=options,
            progress=progress,
            check=not opts["no_checks"],
            workers=reading_processes(),
            on_file=on_file,
        )
        if tty:
            sys.stderr.write("\r")
        if not options.dry_run:
            run = history_run_record(options=options, report=report, file_name=paths_text(opts["paths"]))
            report["import_id"] = run.pk
        if as_json:
            rest = {k: v for k, v in report.items() if k not in ("dry_run", "team", "files")}
            inner = encoder.encode(rest).strip()[1:-1].strip("\n")  # its keys, indented as "files", no braces
            self.stdout.write(("\n  " if printed else "") + "],\n" + inner + "\n}")
        else:
            self.stdout.write("\n".join(totals_lines(report)))
        if report["totals"]["files"] and report["totals"]["skipped"] == report["totals"]["files"]:
            raise SystemExit(1)

    def _team(self, slug, org):
        teams = Team.objects.filter(slug=slug).select_related("organization")
        if org:
            teams = teams.filter(organization__slug=org)
        found = list(teams[:2])
        if not found:
            raise CommandError(f"No team {slug!r}" + (f" in {org!r}." if org else "."))
        if len(found) > 1:
            raise CommandError(f"Several organizations have a team {slug!r}: say which with --org.")
        return found[0]

    def _user(self, username, team):
        try:
            return command_user(username=username, organization_id=team.organization_id)
        except LookupError as exc:
            raise CommandError(str(exc)) from None


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())
