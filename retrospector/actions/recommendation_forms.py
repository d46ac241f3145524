"""Forms of the recommendation pages: they only read what was typed; the rules are in actions.services."""

from __future__ import annotations

from django import forms

from retrospector.actions.models import Recommendation

REASON_HELP = "Needed to drop it or to move its commitment date: shown on every retrospective that calls for it."


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class RecommendationFieldsMixin(forms.Form):
    title = forms.CharField(max_length=300, help_text="What to change, in a line.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    definition_of_done = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How everyone will know it is done. Without it the recommendation stays a draft.",
    )
    kind = forms.ChoiceField(choices=Recommendation.Kind.choices)
    owner = PersonChoice(queryset=None, required=False, help_text="Without an owner it stays a draft.")
    team = forms.ModelChoiceField(queryset=None)
    priority = forms.ChoiceField(choices=())
    commitment_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="The day it should be done by."
    )

    def setup(self, *, people, teams, priorities):
        self.fields["owner"].queryset = people
        self.fields["team"].queryset = teams
        self.fields["priority"].choices = [(p, p) for p in priorities]


class RecommendationCreateForm(RecommendationFieldsMixin):
    findings = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The findings of this retrospective it answers.",
    )
    create_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, people, teams, priorities, findings, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup(people=people, teams=teams, priorities=priorities)
        self.finding_rows = {str(f.pk): f for f in findings}
        self.fields["findings"].choices = [(str(f.pk), f.text[:200]) for f in findings]

    def chosen_findings(self):
        return [self.finding_rows[pk] for pk in self.cleaned_data.get("findings", ()) if pk in self.finding_rows]


class RecommendationEditForm(RecommendationFieldsMixin):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP)
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, people, teams, priorities, **kwargs):
        super().__init__(*args, prefix="edit", **kwargs)
        self.setup(people=people, teams=teams, priorities=priorities)


class RecommendationStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Recommendation.Status.choices)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=REASON_HELP)
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="status", **kwargs)


class LinkForm(forms.Form):
    recommendation = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class UnlinkForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this retrospective no longer calls for it."
    )


class MergeForm(forms.Form):
    keep = forms.IntegerField(
        min_value=1, label="Merge into recommendation #", help_text="The number of the recommendation that stays."
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SetAsideForm(forms.Form):
    prefix = "set-aside"  # the retrospective's page has other forms
    title = forms.CharField(max_length=300, label="Proposal", help_text="What was proposed.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Why it would not have helped here.")
