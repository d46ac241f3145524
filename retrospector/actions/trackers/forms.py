"""The forms of the trackers' pages. Secrets are write-only: the field is empty, its help says whether one is set."""

from __future__ import annotations

from django import forms

from retrospector.actions.models import TrackerConnection

from .mapping import format_state_map, parse_state_map


class ConnectionForm(forms.Form):
    kind = forms.ChoiceField(label="Tracker", choices=TrackerConnection.Kind.choices)
    name = forms.CharField(label="Name", max_length=100, help_text="How people choose it, e.g. “payments-api issues”.")
    base_url = forms.CharField(
        label="API address",
        max_length=500,
        help_text="https://api.github.com for GitHub (or your GitHub Enterprise API), https://your-site.atlassian.net "
        "for Jira.",
    )
    project = forms.CharField(
        label="Repository or project", max_length=200, help_text="GitHub: owner/repository. Jira: the project key."
    )
    username = forms.CharField(
        label="Jira account e-mail", max_length=200, required=False, help_text="Jira only: whose API token it is."
    )
    credential = forms.CharField(
        label="Token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="A GitHub token allowed to read and write issues, or a Jira API token. Stored encrypted, never "
        "shown again.",
    )
    webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The secret you enter on the tracker's webhook; calls whose signature does not match are refused.",
    )
    state_map = forms.CharField(
        label="Their states to ours",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono"}),
        help_text="One “their state = our status” per line (planned, in-progress, done, dropped), e.g. "
        "“in review = in-progress”. Unlisted states: GitHub open → planned, closed as completed → done, "
        "closed as not planned → dropped; Jira To Do → planned, In Progress → in-progress, Done → done.",
    )

    def __init__(self, *args, connection: TrackerConnection | None = None, **kwargs):
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": connection.kind,
                "name": connection.name,
                "base_url": connection.base_url,
                "project": connection.project,
                "username": connection.username,
                "state_map": format_state_map(connection.state_map),
            }
        super().__init__(*args, **kwargs)
        if connection is not None:
            for field, stored in (
                ("credential", connection.credential_encrypted),
                ("webhook_secret", connection.webhook_secret_encrypted),
            ):
                state = "Set: leave empty to keep it, or type a new one to replace it." if stored else "Not set."
                self.fields[field].help_text = f"{state} {self.fields[field].help_text}"
                if stored:
                    self.fields[field].label = f"{self.fields[field].label} (replace)"

    def clean_state_map(self) -> dict:
        try:
            return parse_state_map(self.cleaned_data.get("state_map") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class CreateIssueForm(forms.Form):
    connection = forms.ModelChoiceField(
        label="Tracker", queryset=TrackerConnection.objects.none(), empty_label=None, help_text="The team's trackers."
    )

    def __init__(self, *args, connections, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections


class LinkIssueForm(CreateIssueForm):
    key = forms.CharField(
        label="Issue",
        max_length=500,
        help_text="Its key or address: #12, owner/repo#12 or https://github.com/owner/repo/issues/12; OPS-12 or "
        "https://your-site.atlassian.net/browse/OPS-12.",
    )
