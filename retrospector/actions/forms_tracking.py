"""The tracking list's filters and the organization's priority targets, as forms."""

from django import forms

from retrospector.accounts.selectors import teams_visible_to
from retrospector.actions.models import Recommendation
from retrospector.actions.tracking import MAX_TARGET_DAYS, RecommendationFilters, priority_targets


class RecommendationFiltersForm(forms.Form):
    """Read from the query string; a bad value filters nothing and is shown as an error."""

    q = forms.CharField(required=False, max_length=200, label="Words in the title")
    team = forms.ChoiceField(required=False)
    owner = forms.CharField(required=False, max_length=150, help_text="A username.")
    service = forms.CharField(required=False, max_length=200, help_text="A service of the incident.")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Recommendation.Status.choices])
    priority = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    retrospective = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team")] + [(t.slug, t.name) for t in teams_visible_to(user)]
        priorities = [t.name for t in priority_targets(user.organization_id)] if user.organization_id else []
        self.fields["priority"].choices = [("", "Any priority")] + [(p, p) for p in priorities]

    def filters(self) -> RecommendationFilters:
        self.is_valid()  # the valid fields filter, the others are left out
        data = self.cleaned_data
        return RecommendationFilters(
            team=data.get("team") or "",
            owner=(data.get("owner") or "").strip(),
            service=(data.get("service") or "").strip(),
            status=data.get("status") or "",
            priority=data.get("priority") or "",
            overdue=bool(data.get("overdue")),
            q=data.get("q") or "",
            retrospective=data.get("retrospective"),
        )


class PriorityTargetsForm(forms.Form):
    targets = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        label="Priorities and days to done",
        help_text="One priority a line, the most urgent first: its name, a space, and the days from a "
        f"recommendation's creation within which it should be done (1 to {MAX_TARGET_DAYS}; leave the days out for "
        "no target). For example: “P1 28”.",
    )

    def clean_targets(self) -> list[tuple[str, int | None]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["targets"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2:
                raise forms.ValidationError(f"Line {number}: write a name and a number of days, e.g. “P1 28”.")
            days = None
            if len(parts) == 2:
                try:
                    days = int(parts[1])
                except ValueError:
                    raise forms.ValidationError(f"Line {number}: {parts[1]!r} is not a whole number of days.") from None
            parsed.append((parts[0], days))
        return parsed

    @staticmethod
    def initial_text(organization_id: int) -> str:
        return "\n".join(
            f"{t.name} {t.days}" if t.days is not None else t.name for t in priority_targets(organization_id)
        )
