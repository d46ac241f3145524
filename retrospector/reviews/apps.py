from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "retrospector.reviews"
    label = "reviews"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("reviews: the daily reminder", "retrospector.reviews.reminders.reminders_send"),
        ("reviews: deadlines of resolved incidents", "retrospector.reviews.process.deadlines_sync"),
    ]
    # What the reviews add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts = [
        "retrospector.reviews.process_views.process_page_part",
        "retrospector.reviews.thread_views.threads_page_part",
        "retrospector.reviews.account_views.accounts_page_part",
        "retrospector.reviews.question_views.questions_page_part",
    ]
