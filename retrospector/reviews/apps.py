from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "retrospector.reviews"
    label = "reviews"
