"""The index follows every change: a save or delete of an indexed thing is copied on commit (insights.indexing)."""

from django.db.models.signals import post_delete, post_save

from retrospector.incidents.models import Incident
from retrospector.insights.indexing import SOURCES, search_index_incident_moved, search_index_on_commit
from retrospector.writeups.models import Retrospective, Section


def _receivers(kind: str):
    def saved(sender, instance, raw=False, **kwargs):
        if not raw:
            search_index_on_commit(kind=kind, pk=instance.pk)

    def deleted(sender, instance, **kwargs):
        search_index_on_commit(kind=kind, pk=instance.pk, removed=True)

    return saved, deleted


def _incident_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw or created:
        return
    from django.db import transaction

    transaction.on_commit(lambda: search_index_incident_moved(incident_id=instance.pk))


def _retrospective_saved(sender, instance, created=False, raw=False, **kwargs):
    """A new retrospective's sections are created with it (bulk_create sends no signal): index them once it commits.
    Later saves (a state change, an assignment) leave its sections alone: each section's own save indexes it."""
    if raw or not created:
        return
    from django.db import transaction

    from retrospector.insights.indexing import search_index_update

    def index_sections():
        ids = list(Section.objects.filter(retrospective_id=instance.pk).values_list("pk", flat=True))
        search_index_update(kind="section", ids=ids)

    transaction.on_commit(index_sections)


_KEEP = []  # the receivers, kept alive (signals hold weak references)


def connect() -> None:
    for kind, model in SOURCES.items():
        saved, deleted = _receivers(kind)
        _KEEP.extend([saved, deleted])
        post_save.connect(saved, sender=model, dispatch_uid=f"insights-index-{kind}-save")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"insights-index-{kind}-delete")
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="insights-incident-moved")
    post_save.connect(_retrospective_saved, sender=Retrospective, dispatch_uid="insights-retrospective-sections")
