"""Forms of the review's pages; the rules they carry out are the services'."""

from uuid import uuid4

from django import forms

from retrospector.core.workdays import MAX_BUSINESS_DAYS
from retrospector.core.zones import ZoneNameField

from .models import STEP_ORDER, Approvers, ProcessVersion, Thread
from .process import ISO_WEEKDAYS, OFFSET_FIELDS, format_holidays, parse_holidays
from .threads import COMMENT_MAX


def new_client_token() -> str:
    """A token for one form: submitting the form twice writes one comment."""
    return uuid4().hex


class ThreadStartForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Thread.Kind.choices,
        widget=forms.RadioSelect,
        help_text="Change: ask for a change. Clarify: something is unclear. Disagree: you see it differently. "
        "Question: you want to know more.",
    )
    quote = forms.CharField(
        required=False,
        max_length=Thread.QUOTE_MAX,
        label="Passage (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Copy the words you comment on from the section; leave empty to comment on the whole section.",
    )
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. Mention someone with @username.",
    )
    client_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    client_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class CommentEditForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    base_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=Thread.Resolution.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProcessSettingsForm(forms.Form):
    severities_requiring = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Severities that need a retrospective",
        help_text="None ticked: every incident needs one.",
    )
    time_zone = ZoneNameField(label="Time zone", help_text="Deadlines are counted in this zone's days.")
    working_days = forms.TypedMultipleChoiceField(
        choices=ISO_WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label="Working days"
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
        label="Holidays",
        help_text="One date a line, written YYYY-MM-DD; text after # is a comment.",
    )
    research_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Research starts")
    first_draft_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="First draft")
    feedback_end_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="End of feedback")
    feedback_addressed_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Feedback addressed")
    meeting_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Meeting")

    OFFSETS = [OFFSET_FIELDS[step] for step in STEP_ORDER]

    def __init__(self, *args, severities, settings, **kwargs):
        initial = {
            "severities_requiring": settings.severities_requiring,
            "time_zone": settings.time_zone,
            "working_days": settings.working_days or [1, 2, 3, 4, 5],
            "holidays": format_holidays(settings.holidays),
            **{name: getattr(settings, name) for name in self.OFFSETS},
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["severities_requiring"].choices = [(s.key, f"{s.key} — {s.name}") for s in severities]
        for name in self.OFFSETS:
            self.fields[name].help_text = "Business days after the incident's resolution."

    def clean_holidays(self):
        from django.core.exceptions import ValidationError

        try:
            return parse_holidays(self.cleaned_data["holidays"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["holidays"]) from None

    def offsets(self) -> dict:
        return {step: self.cleaned_data[OFFSET_FIELDS[step]] for step in STEP_ORDER}


class AssignmentForm(forms.Form):
    owner = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    shadow = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, widget=forms.RadioSelect)
    reverse_shadow = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, widget=forms.RadioSelect, label="Reverse shadow"
    )
    due_at = forms.DateField(
        required=False,
        label="First draft due",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Used while the incident is not resolved; after that the team's process sets every deadline.",
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.pk, p.username) for p in people]
        self.fields["owner"].choices = choices
        self.fields["shadow"].choices = [("", "nobody"), *choices]
        self.fields["reverse_shadow"].choices = [("", "nobody"), *choices]


class SendForReviewForm(forms.Form):
    reviewers = forms.CharField(
        required=False,
        label="Also invite as reviewers",
        help_text="Usernames, separated by commas or spaces: people outside the team whose eyes would help.",
    )
    confirm = forms.BooleanField(required=True, label="Send it for review as it is")

    def usernames(self) -> list[str]:
        text = self.cleaned_data.get("reviewers") or ""
        return [n.strip().lstrip("@") for n in text.replace(",", " ").split() if n.strip()]


class OrgProcessForm(forms.Form):
    """A new version of the organization's standard process: the same severities and deadlines as a team's, the
    template, who approves, whether teams may lead their own, and why it changes."""

    severities_requiring = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Severities that need a retrospective",
        help_text="None ticked: every incident needs one.",
    )
    research_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Research starts")
    first_draft_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="First draft")
    feedback_end_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="End of feedback")
    feedback_addressed_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Feedback addressed")
    meeting_days = forms.IntegerField(min_value=0, max_value=MAX_BUSINESS_DAYS, label="Meeting")
    required_template = forms.ChoiceField(
        required=False, label="Required template", help_text="The template every retrospective is written in."
    )
    approvers = forms.ChoiceField(choices=Approvers.choices, label="Who gives the final approval")
    teams_may_lead_own = forms.BooleanField(
        required=False,
        label="Teams may lead their own process",
        help_text="A team that sets its own severities and deadlines uses them instead of these.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Why it changes",
        help_text="Everyone it concerns (organization and team admins) is told what changed, with this reason.",
    )

    OFFSETS = [OFFSET_FIELDS[step] for step in STEP_ORDER]

    def __init__(self, *args, severities, templates, version, **kwargs):
        initial = {
            "severities_requiring": version.severities_requiring if version else [],
            "required_template": version.required_template if version else "",
            "approvers": version.approvers if version else Approvers.TEAM_ADMIN_OR_MODERATOR,
            "teams_may_lead_own": version.teams_may_lead_own if version else True,
            **{
                name: getattr(version, name) if version else ProcessVersion._meta.get_field(name).default
                for name in self.OFFSETS
            },
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["severities_requiring"].choices = [(s.key, f"{s.key} — {s.name}") for s in severities]
        self.fields["required_template"].choices = [("", "Any template")] + [(t.key, t.name) for t in templates]
        for name in self.OFFSETS:
            self.fields[name].help_text = "Business days after the incident's resolution."

    def offsets(self) -> dict:
        return {step: self.cleaned_data[OFFSET_FIELDS[step]] for step in STEP_ORDER}


SCALE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class SurveyForm(forms.Form):
    useful = forms.TypedChoiceField(
        choices=SCALE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        label="Was it useful?",
        help_text="1: not at all · 5: very. Did the team learn something it will act on?",
    )
    fair = forms.TypedChoiceField(
        choices=SCALE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        label="Was it fair and blameless?",
        help_text="1: not at all · 5: entirely. Could people say what they saw, thought and did without fear?",
    )
    change = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What would you change in how it was run?",
    )
