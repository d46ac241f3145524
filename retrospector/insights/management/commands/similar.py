"""`retrospector similar INCIDENT_ID --as USERNAME [--limit N] [--format text|json]`: the past incidents most like one,
as that person would see them on the incident's page (only incidents they may see), with why each matched."""

import json

from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.models import User
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.insights.similar import LIMIT_DEFAULT, LIMIT_MAX, similar_incidents


class Command(BaseCommand):
    help = "Past incidents like INCIDENT_ID, as USERNAME may see them, each with why it matched."

    def add_arguments(self, parser):
        parser.add_argument("incident_id", type=int)
        parser.add_argument("--as", dest="username", required=True, help="Only incidents this person may see.")
        parser.add_argument("--limit", type=int, default=LIMIT_DEFAULT, help=f"1 to {LIMIT_MAX}.")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args, incident_id, username, limit, format, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if not 1 <= limit <= LIMIT_MAX:
            raise CommandError(f"--limit must be between 1 and {LIMIT_MAX}.")
        incident = incidents_visible_to(user).filter(pk=incident_id).first()
        if incident is None:
            raise CommandError(f"No incident {incident_id} that {username} may see.")
        found = similar_incidents(user=user, incident=incident, limit=limit)
        if format == "json":
            payload = {"incident_id": incident.pk, "results": [item.as_dict() for item in found]}
            self.stdout.write(json.dumps(payload, indent=2, default=str))
            return
        if not found:
            self.stdout.write("Nothing like it yet.")
            return
        for item in found:
            self.stdout.write(f"#{item.incident.pk} {item.incident.title}  (score {item.score})")
            for reason in item.reasons:
                self.stdout.write(f"  - {reason}")
            for rec in item.recommendations:
                self.stdout.write(f"  → {rec.title} [{rec.status_label}]")
