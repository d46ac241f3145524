"""The insights' filters, one rule for the pages and the API: a date range (default: the last 12 months), a team (by
its short name), a service (by name) and a severity (by key). A name of nothing in the organization is an error
naming the field, as is a range that ends before it starts."""

from __future__ import annotations

from django import forms

from retrospector.accounts.models import Team, User
from retrospector.incidents.models import Service, SeverityLevel
from retrospector.insights.metrics import InsightFilters, default_range

MAX_RANGE_DAYS = 3660


class InsightFiltersForm(forms.Form):
    since = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Incidents started on or after this day (UTC). Default: the first day of the month a year ago.",
        error_messages={"invalid": "From: enter a date as YYYY-MM-DD."},
    )
    until = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Incidents started on or before this day (UTC). Default: today.",
        error_messages={"invalid": "To: enter a date as YYYY-MM-DD."},
    )
    team = forms.ModelChoiceField(label="Team", required=False, queryset=Team.objects.none(), empty_label="Any team")
    service = forms.ModelChoiceField(
        label="Service", required=False, queryset=Service.objects.none(), empty_label="Any service"
    )
    severity = forms.ModelChoiceField(
        label="Severity", required=False, queryset=SeverityLevel.objects.none(), empty_label="Any severity"
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        org = user.organization_id
        choice = "Team: there is no team {value} in your organization."
        self.fields["team"].queryset = Team.objects.filter(organization_id=org).order_by("name")
        self.fields["team"].to_field_name = "slug"
        self.fields["team"].error_messages["invalid_choice"] = choice.replace("{value}", "%(value)s")
        self.fields["service"].queryset = Service.objects.filter(organization_id=org)
        self.fields["service"].to_field_name = "name"
        self.fields["service"].error_messages["invalid_choice"] = "Service: there is no service %(value)s."
        self.fields["severity"].queryset = SeverityLevel.objects.filter(organization_id=org)
        self.fields["severity"].to_field_name = "key"
        self.fields["severity"].error_messages["invalid_choice"] = "Severity: there is no severity %(value)s."

    def clean(self):
        data = super().clean()
        default_since, default_until = default_range()
        since = data.get("since") or default_since
        until = data.get("until") or default_until
        if "since" in self.errors or "until" in self.errors:
            return data
        if until < since:
            self.add_error("until", "To: the range ends before it starts (From is later than To).")
        elif (until - since).days > MAX_RANGE_DAYS:
            self.add_error("since", "From: the range is at most ten years long.")
        data["since"], data["until"] = since, until
        return data

    def filters(self) -> InsightFilters:
        """The filters once valid; the defaults (last 12 months, everything) for an unbound or invalid form."""
        if not self.is_bound or not self.is_valid():
            return InsightFilters(*default_range())
        data = self.cleaned_data
        return InsightFilters(
            since=data["since"],
            until=data["until"],
            team=data["team"].pk if data.get("team") else None,
            service=data["service"].pk if data.get("service") else None,
            severity=data["severity"].pk if data.get("severity") else None,
        )


def insight_filters_from(*, user: User, params) -> tuple[InsightFiltersForm, InsightFilters]:
    form = InsightFiltersForm(
        {k: params.get(k, "") for k in ("since", "until", "team", "service", "severity")}, user=user
    )
    return form, form.filters()
