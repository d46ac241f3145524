from django import forms

from retrospector.actions.events import SUBSCRIBABLE
from retrospector.actions.models import WebhookSubscription
from retrospector.actions.webhook_services import SECRET_MAX_CHARS, URL_MAX_CHARS, URL_RULE

EVENT_CHOICES = [(name, f"{name}: {meaning}") for name, meaning in SUBSCRIBABLE.items()]


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Payload URL",
        max_length=URL_MAX_CHARS,
        help_text=URL_RULE + " For Slack, the incoming webhook's URL. It is not called now: test it once it is saved.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    format = forms.ChoiceField(
        choices=WebhookSubscription.Format.choices,
        initial=WebhookSubscription.Format.JSON,
        widget=forms.RadioSelect,
        help_text="Signed JSON for your own endpoint; a Slack message for a Slack incoming webhook.",
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="The whole organization",
        help_text="A team's webhook hears about the team's private incidents; an organization-wide one does not.",
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event, including those added later.",
    )
    secret = forms.CharField(
        required=False,
        max_length=SECRET_MAX_CHARS,
        help_text="Signs each JSON delivery (Retrospector-Signature). Leave empty and one is generated; it is shown "
        "once, after saving.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(required=False, max_length=200, help_text="What it is for (optional).")

    def __init__(self, *args, teams, org_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if not org_admin:
            # A team admin makes their team's webhooks only.
            self.fields["team"].required = True
            self.fields["team"].empty_label = None


class WebhookEditForm(forms.Form):
    url = WebhookForm.base_fields["url"]
    format = WebhookForm.base_fields["format"]
    events = WebhookForm.base_fields["events"]
    description = WebhookForm.base_fields["description"]
