from django import forms

from .models import Statement

KEEP_NAMES_HELP = (
    "Off: the draft says “an engineer” where the write-up names someone or has an @handle, and publishing refuses a "
    "text that still names people. On: names stay; your choice is recorded with your name and the time."
)


class StatementStartForm(forms.Form):
    kind = forms.ChoiceField(choices=Statement.Kind.choices, widget=forms.HiddenInput)
    keep_names = forms.BooleanField(label="Keep people's names", required=False, help_text=KEEP_NAMES_HELP)


class StatementForm(forms.Form):
    body = forms.CharField(
        label="Markdown", required=False, widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"})
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    keep_names = forms.BooleanField(label="Keep people's names", required=False, help_text=KEEP_NAMES_HELP)


class PublishForm(forms.Form):
    new_link = forms.BooleanField(required=False)
