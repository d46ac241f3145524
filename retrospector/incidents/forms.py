from django import forms

from retrospector.accounts.selectors import people_in_organization, teams_where_user_can_write

from .models import MOMENTS, Incident, IncidentLink
from .selectors import severity_levels_for


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class IncidentForm(forms.ModelForm):
    services = forms.CharField(
        required=False, help_text="Comma-separated, e.g. checkout-api, postgres-primary.", max_length=2000
    )
    link_ticket = forms.URLField(required=False, label="Ticket link", max_length=2000, assume_scheme="https")
    link_chat = forms.URLField(required=False, label="Chat channel link", max_length=2000, assume_scheme="https")
    link_dashboard = forms.URLField(required=False, label="Dashboard link", max_length=2000, assume_scheme="https")
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Incident
        fields = [
            "title",
            "team",
            "severity",
            "status",
            "visibility",
            "summary",
            *MOMENTS,
            "responders",
            "invitees",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "responders": forms.SelectMultiple(attrs={"size": 6}),
            "invitees": forms.SelectMultiple(attrs={"size": 4}),
            **{m: LocalDateTimeInput() for m in MOMENTS},
        }
        help_texts = {
            "started_at": "When the impact began, in your time zone.",
            "invitees": "Only matters for private incidents: people outside the team who may see it.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_where_user_can_write(user)
        self.fields["severity"].queryset = severity_levels_for(user)
        self.fields["severity"].empty_label = None
        people = people_in_organization(user)
        self.fields["responders"].queryset = people
        self.fields["invitees"].queryset = people
        self.fields["responders"].required = False
        self.fields["invitees"].required = False
        for moment in MOMENTS:
            self.fields[moment].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        if self.instance.pk:
            self.initial["services"] = ", ".join(s.name for s in self.instance.services.all())
            for link in self.instance.links.all():
                self.initial.setdefault(f"link_{link.kind}", link.url)
            self.initial["base_version"] = self.instance.version

    def links(self) -> list[dict]:
        return [
            {"kind": kind, "url": self.cleaned_data.get(f"link_{kind}"), "label": ""}
            for kind in (IncidentLink.Kind.TICKET, IncidentLink.Kind.CHAT, IncidentLink.Kind.DASHBOARD)
            if self.cleaned_data.get(f"link_{kind}")
        ]

    def service_names(self) -> list[str]:
        return [s for s in (self.cleaned_data.get("services") or "").split(",") if s.strip()]

    def _post_clean(self):
        # Validation lives in the services; skip ModelForm's instance validation.
        pass


class IncidentFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search titles", max_length=200)
    team = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Incident.Status.choices])
    visibility = forms.ChoiceField(required=False, choices=[("", "Any visibility"), *Incident.Visibility.choices])
    service = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from retrospector.accounts.selectors import teams_visible_to

        self.fields["team"].choices = [("", "Any team")] + [(t.slug, t.name) for t in teams_visible_to(user)]
        self.fields["severity"].choices = [("", "Any severity")] + [(s.key, s.key) for s in severity_levels_for(user)]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
