import csv
import json

from django.core.management.base import BaseCommand, CommandError

from retrospector.accounts.models import Organization, User
from retrospector.actions.models import Recommendation
from retrospector.actions.tracking import (
    RecommendationFilters,
    csv_rows,
    recommendation_data,
    recommendation_list,
    today_utc,
)


class Command(BaseCommand):
    help = (
        "List recommendations as someone sees them: `recommendations list [--overdue] [--team T] [--status S] "
        "[--format text|csv|json] [--as USERNAME]` (default: the organization's first admin, when there is one "
        "organization)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="The recommendations the person may see, the nearest date first.")
        listing.add_argument("--overdue", action="store_true", help="Only open ones after their commitment date (UTC).")
        listing.add_argument("--team", default="", help="A team's short name (slug).")
        listing.add_argument("--status", default="", choices=["", *Recommendation.Status.values])
        listing.add_argument("--owner", default="", help="The owner's username.")
        listing.add_argument("--priority", default="")
        listing.add_argument("--format", choices=["text", "csv", "json"], default="text")
        listing.add_argument(
            "--as",
            dest="as_user",
            help="Whose view: only what this person may see is listed (default: the first organization admin).",
        )

    def handle(self, *args, action, **opts):
        user = self._user(opts["as_user"])
        filters = RecommendationFilters(
            team=opts["team"],
            owner=opts["owner"],
            status=opts["status"],
            priority=opts["priority"],
            overdue=opts["overdue"],
        )
        today = today_utc()
        rows = recommendation_list(user=user, filters=filters, today=today)
        if opts["format"] == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            for row in csv_rows(rows):
                writer.writerow(row)
            return
        if opts["format"] == "json":
            self.stdout.write(
                json.dumps(
                    [recommendation_data(r, today) for r in rows.iterator(chunk_size=1000)],
                    default=str,
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        count = 0
        for r in rows.iterator(chunk_size=1000):
            count += 1
            date = r.commitment_date.isoformat() if r.commitment_date else "no date"
            late = " OVERDUE" if r.overdue else ""
            owner = r.owner.username if r.owner_id else "nobody"
            title = r.title.replace("\n", " ")
            self.stdout.write(
                f"#{r.pk:<6} {r.priority:<4} {r.status:<11} {date:<10}{late}  {r.team.slug}/{owner}  {title}"
            )
        self.stderr.write(f"{count} recommendation(s) visible to {user.username}.")

    def _user(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {username!r}.")
            return user
        organizations = list(Organization.objects.order_by("pk")[:2])
        if len(organizations) != 1:
            raise CommandError("Pass --as USERNAME: whose view to list (there is not exactly one organization).")
        user = (
            User.objects.filter(organization=organizations[0], is_org_admin=True, is_active=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError("Pass --as USERNAME: the organization has no admin to list as.")
        return user
