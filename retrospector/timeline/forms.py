import zoneinfo

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.utils import timezone

from retrospector.accounts.forms import TIME_ZONE_CHOICES
from retrospector.core.forms import LongSelect, SharedChoices
from retrospector.core.untrusted import utc_in_range
from retrospector.core.zones import ZoneNameField
from retrospector.importers.registry import SOURCE_LABELS
from retrospector.incidents.models import MOMENT_LABELS, MOMENTS
from retrospector.timeline.imports import WINDOW_AFTER, WINDOW_BEFORE, hours_text, size_text
from retrospector.timeline.models import TimelineEvent

# Shared, not copied for every form made (see SharedChoices).
_NAIVE_ZONES = SharedChoices([("", "— times carry their zone —"), *TIME_ZONE_CHOICES])


class EventForm(forms.Form):
    when = forms.DateTimeField(
        label="Time",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    zone = ZoneNameField(
        label="Written in zone",
        help_text="The zone the time was written in where you read it (chat, log, email): type a place or pick one.",
    )
    actor = forms.CharField(max_length=200, required=False, help_text="Who or what acted: a person, a system, a bot.")
    actor_kind = forms.ChoiceField(choices=TimelineEvent.ActorKind.choices, label="Actor is a", initial="person")
    kind = forms.ChoiceField(choices=TimelineEvent.Kind.choices, initial="note")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20_000,
        label="What happened",
        help_text="Facts, not reasons: what was seen, said or done.",
    )
    source_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"], message="Give an http:// or https:// link.")],
        label="Source link",
        help_text="The chat message, page, alert, log line or deploy this comes from.",
    )
    key_event = forms.BooleanField(required=False, label="Key event (shown in the retrospective's timeline)")
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        when, zone = data.get("when"), data.get("zone")
        if when is not None and zone:
            # The browser sends a wall-clock time; it means that time in the chosen zone.
            # Django made it aware in the viewer's zone; take back the wall-clock time that was typed.
            naive = when if when.tzinfo is None else timezone.make_naive(when)
            data["occurred_at"] = naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))
            try:
                utc_in_range(data["occurred_at"])
            except ValueError as exc:
                self.add_error("when", f"This time {exc}.")
                return data
            data["original_time"] = f"{self.data.get(self.add_prefix('when'), '')} {zone}".strip()
            offset = data["occurred_at"].utcoffset()
            data["original_offset_minutes"] = int(offset.total_seconds() // 60) if offset is not None else None
        return data


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("hide", "Hide as noise"),
            ("show", "Show again"),
            ("key", "Mark as key events"),
            ("unkey", "Unmark key events"),
            ("delete", "Delete"),
            ("merge", "Merge into the first selected"),
        ]
    )
    events = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)

    def __init__(self, *args, event_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(str(i), str(i)) for i in event_ids]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One file or several picked at once (`multiple`): cleans to a list of uploads, each checked as a FileField."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)) and data:
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


def _local_input(moment) -> str:
    """A moment as a datetime-local input shows it: in the viewer's zone (the zone the form's times are read in)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class ImportForm(forms.Form):
    """The upload and its options as typed; timeline.imports.import_request_parse checks the options (the same rules
    as the API's and the command line's). The times start as the incident's window (imports.import_window)."""

    source = forms.ChoiceField(choices=list(SOURCE_LABELS.items()))
    file = MultipleFileField(label="File or files")
    tz = forms.ChoiceField(choices=_NAIVE_ZONES, required=False, label="Zone of naive times", widget=LongSelect)
    since = forms.CharField(
        required=False, label="Only from", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.CharField(
        required=False, label="Only until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    channel = forms.CharField(
        required=False,
        max_length=500,
        help_text="Only these channels or services, comma-separated; the preview lists a Slack export's channels to "
        "choose from. For Slack day files: the channel they come from.",
    )
    mapping = forms.CharField(
        required=False, max_length=500, help_text="CSV or JSON lines: e.g. time=ts,text=message,actor=user."
    )

    def __init__(self, *args, window=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "One file; for Slack, an export's .zip or one or more of its day files (2024-03-04.json), with users.json "
            f"for people's names. Up to {size_text(settings.TIMELINE_IMPORT_MAX_BYTES_PAGE)} here; "
            "use `retrospector timeline import` for bigger files."
        )
        if window is not None:
            self.fields["since"].initial = _local_input(window.since)
            self.fields[
                "since"
            ].help_text = (
                f"Starts {hours_text(WINDOW_BEFORE)} before the incident started; change or clear it as needed."
            )
            if window.until is not None:
                self.fields["until"].initial = _local_input(window.until)
                self.fields["until"].help_text = f"Ends {hours_text(WINDOW_AFTER)} after the incident was resolved."
            else:
                self.fields["until"].help_text = "The incident is not resolved: empty reads up to now."

    def clean(self):
        data = super().clean()
        files = data.get("file") or []
        if len(files) > 1 and data.get("source") and data["source"] != "slack":
            label = SOURCE_LABELS[data["source"]]
            self.add_error("file", f"{len(files)} files were picked; {label} takes one file at a time.")
        return data


class MilestoneForm(forms.Form):
    moment = forms.ChoiceField(choices=[(m, MOMENT_LABELS[m]) for m in MOMENTS])


class TimelineSettingsForm(forms.Form):
    timeline_time_zone = ZoneNameField(
        required=False,
        label="Display zone",
        placeholder="Each viewer's own zone",
        help_text="Everyone sees the timeline in this zone; leave it empty to show each viewer their own zone.",
    )
    timeline_seconds = forms.BooleanField(required=False, label="Show seconds")
    timeline_gap_minutes = forms.IntegerField(
        min_value=1,
        max_value=10_080,
        initial=30,
        label="Mark quiet periods longer than",
        help_text="Minutes between two events (up to a week).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
