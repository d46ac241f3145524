from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "retrospector.reviews"
    label = "reviews"
    # What the reviews add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts = [
        "retrospector.reviews.thread_views.threads_page_part",
    ]
