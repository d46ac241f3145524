"""`retrospector digest send [--dry-run] [--user USERNAME]`: send this week's digest e-mails now (the worker sends
them from Monday 08:00 UTC by itself), or show what they would list without sending or recording anything."""

from django.core.management.base import BaseCommand

from retrospector.insights.digest import digest_subject, digests_preview, digests_send


class Command(BaseCommand):
    help = (
        "Send this week's digest e-mails to the people who asked for them and have not had this week's (`digest "
        "send`), or show what each would list (`--dry-run`). Each person gets one a week however often it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send"])
        parser.add_argument("--dry-run", action="store_true", help="Show what would be sent; send and record nothing.")
        parser.add_argument("--user", action="append", dest="usernames", help="Only this person (repeatable).")

    def handle(self, *args, action, dry_run, usernames, **options):
        if dry_run:
            previews = digests_preview(usernames=usernames)
            for content in previews:
                what = "nothing to tell, not sent" if content.empty else digest_subject(content)
                self.stdout.write(f"{content.user.username} <{content.user.email}>: {what}")
            if not previews:
                self.stdout.write("Nobody is waiting for this week's digest.")
            return
        counts = digests_send(usernames=usernames, force=True)
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
