from django import forms

from retrospector.accounts.models import Team, User
from retrospector.incidents.models import Incident, Service, SeverityLevel
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import QUERY_MAX_CHARS, SearchFilters


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        required=False,
        max_length=QUERY_MAX_CHARS,
        help_text='Every word must appear (in any form: "restart" finds "restarted"); put words in "double quotes" '
        "to find them side by side. Other signs are ignored.",
    )
    kind = forms.ChoiceField(label="In", required=False, choices=[("", "Everything"), *SearchDoc.Kind.choices])
    team = forms.ModelChoiceField(label="Team", required=False, queryset=Team.objects.none(), empty_label="Any team")
    service = forms.ModelChoiceField(
        label="Service", required=False, queryset=Service.objects.none(), empty_label="Any service"
    )
    severity = forms.ModelChoiceField(
        label="Severity", required=False, queryset=SeverityLevel.objects.none(), empty_label="Any severity"
    )
    state = forms.ChoiceField(
        label="Incident state", required=False, choices=[("", "Any state"), *Incident.Status.choices]
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        org = user.organization_id
        self.fields["team"].queryset = Team.objects.filter(organization_id=org).order_by("name")
        self.fields["team"].to_field_name = "slug"
        self.fields["service"].queryset = Service.objects.filter(organization_id=org)
        self.fields["service"].to_field_name = "name"
        self.fields["severity"].queryset = SeverityLevel.objects.filter(organization_id=org)
        self.fields["severity"].to_field_name = "key"

    def filters(self) -> SearchFilters:
        """The valid filters (an invalid one is left out, and shown with its message)."""
        data = self.cleaned_data if self.is_bound else {}
        return SearchFilters(
            kind=data.get("kind") or "",
            team=data["team"].pk if data.get("team") else None,
            service=data["service"].pk if data.get("service") else None,
            severity=data["severity"].pk if data.get("severity") else None,
            state=data.get("state") or "",
            since=data.get("since"),
            until=data.get("until"),
        )

    @property
    def narrowed(self) -> bool:
        data = self.cleaned_data if self.is_bound else {}
        return any(data.get(name) for name in ("kind", "team", "service", "severity", "state", "since", "until"))
