"""The meeting of a retrospective and what follows it: the agenda that builds itself from the feedback threads, who
attends in which role, the notes and decisions taken item by item, and their application to the write-up before the
final approval."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from retrospector.core.fields import SingleLineField
from retrospector.reviews.models import Thread
from retrospector.writeups.models import Retrospective, Revision


def new_calendar_uid() -> str:
    return f"{uuid.uuid4()}@retrospector"


class Meeting(models.Model):
    """One per retrospective, made when its agenda is first read. Where and when it happens, its length, its roles,
    and the iCalendar identity of its invitation (`uid` stays, `sequence` grows each time the meeting moves)."""

    retrospective = models.OneToOneField(Retrospective, on_delete=models.CASCADE, related_name="meeting")
    starts_at = models.DateTimeField(null=True, blank=True)
    length_minutes = models.PositiveSmallIntegerField(default=60)
    place = SingleLineField(max_length=500, blank=True, help_text="A room, or a link to a video call.")
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calendar_uid = models.CharField(max_length=100, unique=True, default=new_calendar_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: one more each time it moves.")
    version = models.PositiveIntegerField(default=1, help_text="Of its schedule and roles.")
    agenda_version = models.PositiveIntegerField(
        default=1, help_text="Of its agenda's items, order and time boxes: one more at each change."
    )
    ready_at = models.DateTimeField(null=True, blank=True, help_text="When it was announced ready for approval.")
    ready_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"meeting of {self.retrospective_id}"


class AgendaItem(models.Model):
    """A point of the meeting: a feedback thread that needs talking through (three messages or more, or an open
    disagreement), or a part of the built-in meeting template added by the owner. Its notes and decision are written
    during the meeting, each item on its own version (two people on two items never conflict)."""

    class Kind(models.TextChoices):
        THREAD = "thread", "Feedback thread"
        PART = "part", "Meeting part"

    class Decision(models.TextChoices):
        CHANGE = "change", "Change to make"
        CLARIFY = "clarify", "Clarification to add"
        DISAGREE = "disagree", "Disagreement recorded"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE, related_name="agenda_items")
    part = models.SlugField(max_length=40, blank=True, help_text="The meeting template part it comes from.")
    title = SingleLineField(max_length=300)
    position = models.PositiveIntegerField()
    time_box_minutes = models.PositiveSmallIntegerField(default=5)
    notes = models.TextField(blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_text = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="applied_decisions"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "thread"], condition=Q(thread__isnull=False), name="agenda_thread_once"
            )
        ]

    def __str__(self):
        return self.title


class Attendee(models.Model):
    """Someone asked to the meeting: mandatory (the owner, everyone who wrote in an agenda thread) or optional (the
    rest of the team). `attended` is the roll call: None until called."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meetings_attended")
    mandatory = models.BooleanField(default=False)
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-mandatory", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendee_once")]

    def __str__(self):
        return f"{self.user_id} at {self.meeting_id}"
