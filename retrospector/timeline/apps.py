from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "retrospector.timeline"
    label = "timeline"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("timeline imports: remove expired uploads", "retrospector.timeline.tasks.import_jobs_prune"),
        ("timeline imports: fail those whose worker stopped", "retrospector.timeline.tasks.import_jobs_fail_stalled"),
    ]
