from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "retrospector.reviews"
    label = "reviews"
    periodic_jobs = [
        ("review deadlines", "retrospector.reviews.process.deadlines_sync"),
    ]
    retrospective_page_parts = [
        "retrospector.reviews.process_views.process_page_part",
    ]
