from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "retrospector.reviews"
    label = "reviews"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("reviews: the daily reminder", "retrospector.reviews.reminders.reminders_send"),
        ("reviews: deadlines of resolved incidents", "retrospector.reviews.process.deadlines_sync"),
    ]
    # Refusals of a retrospective's start (writeups.services.retrospective_start).
    retrospective_start_checks = ["retrospector.reviews.org_process.template_check"]
    # What the reviews add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts = [
        "retrospector.reviews.process_views.process_page_part",
        "retrospector.reviews.thread_views.threads_page_part",
        "retrospector.reviews.account_views.accounts_page_part",
        "retrospector.reviews.question_views.questions_page_part",
    ]

    def ready(self):
        from django.db.models.signals import post_save

        from retrospector.writeups.models import Retrospective, StateChange

        post_save.connect(_record_process, sender=Retrospective, dispatch_uid="reviews.record_process")
        post_save.connect(_ask_how_it_went, sender=StateChange, dispatch_uid="reviews.survey")


def _record_process(sender, instance, created, raw=False, **kwargs):
    """Every retrospective records the version of the organization's process it starts under, however it is made
    (the page, the API, an import, the demo)."""
    if created and not raw:
        from .org_process import process_record_start

        process_record_start(instance)


def _ask_how_it_went(sender, instance, created, raw=False, **kwargs):
    """Once a retrospective is approved (whichever path recorded it), its participants are asked how it went."""
    from .survey import SURVEY_STATES, survey_invite

    if created and not raw and instance.to_state in SURVEY_STATES and instance.from_state not in SURVEY_STATES:
        survey_invite(instance.retrospective, actor=instance.by)
