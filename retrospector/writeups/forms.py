from django import forms

from retrospector.accounts.selectors import people_in_organization, teams_visible_to, teams_where_user_can_write
from retrospector.incidents.selectors import severity_levels_for

from .models import Retrospective
from .selectors import DoneFilters


class StartRetrospectiveForm(forms.Form):
    template = forms.ChoiceField(help_text="The template's current version is kept for this retrospective.")
    owner = forms.ModelChoiceField(
        queryset=None, help_text="One person writes it: pick for availability and what they would learn."
    )
    shadow = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Optional: someone learning the role alongside the owner."
    )
    due_at = forms.DateField(required=False, label="First draft due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t.key, t.name) for t in templates]
        people = people_in_organization(user)
        self.fields["owner"].queryset = people
        self.fields["shadow"].queryset = people
        self.fields["owner"].initial = user.pk


class SectionForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}))
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=Retrospective.State.choices)
    note = forms.CharField(required=False, max_length=2000)


class ReopenForm(forms.Form):
    """Reopening a done retrospective: the reason is recorded in its state history, with who and when."""

    note = forms.CharField(
        label="Why reopen it?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Everyone who reads the retrospective sees your reason in its state history.",
    )


class ImportMarkdownForm(forms.Form):
    file = forms.FileField(
        help_text="A Markdown file exported from Retrospector, or any write-up with '## ' section headings."
    )


class TemplateImportForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    file = forms.FileField(required=False, help_text="A YAML or JSON template definition.")
    definition = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}),
        help_text="…or paste the definition here.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_where_user_can_write(user)

    def definition_text(self) -> tuple[str, str]:
        upload = self.cleaned_data.get("file")
        if upload:
            raw = upload.read(256 * 1024 + 1)
            try:
                return raw.decode("utf-8"), upload.name
            except UnicodeDecodeError:
                raise forms.ValidationError(f"{upload.name} is not UTF-8 text.") from None
        return self.cleaned_data.get("definition") or "", "pasted definition"


SECTION_KIND_CHOICES = [("text", "Text"), ("list", "List"), ("table", "Table"), ("timeline", "Timeline")]


class TemplateSectionForm(forms.Form):
    key = forms.SlugField(max_length=60)
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SECTION_KIND_CHOICES)
    required = forms.BooleanField(required=False)
    guidance = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


TemplateSectionFormSet = forms.formset_factory(TemplateSectionForm, extra=3, can_delete=True, max_num=60)


class TemplateMetaForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    key = forms.SlugField(max_length=60, help_text="Lowercase letters, digits and dashes; cannot change later.")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_where_user_can_write(user)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=None,
        help_text="One person writes it: pick for availability and what they would learn, never for who was involved.",
    )
    shadow = forms.ModelChoiceField(
        queryset=None, required=False, help_text="Optional: someone learning the role alongside the owner."
    )
    due_at = forms.DateField(required=False, label="First draft due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = people_in_organization(user)
        self.fields["owner"].queryset = people
        self.fields["shadow"].queryset = people


LEVEL_LABELS = {"error": "Error", "warning": "Warning", "info": "Note", "off": "Off"}
WORD_LIST_HELP = {
    "people": "Names the checks should count as people (they know common given names and your organization's users).",
    "roles": "Words for roles or groups of people, such as “on-call lead” or “the DBA team”.",
    "allow": "Phrases never reported, such as “error budget”.",
}


class ChecksSettingsForm(forms.Form):
    """The organization's common check settings: each rule's level (its severity, or off) and the word lists people
    tune most. The rest of the settings (the other word lists) stay as they are in the YAML."""

    def __init__(self, *args, levels: dict[str, str], words: dict[str, list[str]], **kwargs):
        from retrospector.checks import RULES
        from retrospector.checks.config import FORM_WORD_LISTS

        super().__init__(*args, **kwargs)
        self.rules = list(RULES.values())
        for rule in self.rules:
            default = rule.severity if rule.enabled_by_default else "off"
            self.fields[f"level-{rule.id}"] = forms.ChoiceField(
                label=rule.title,
                choices=[
                    (level, f"{label} (default)" if level == default else label)
                    for level, label in LEVEL_LABELS.items()
                ],
                initial=levels[rule.id],
            )
        for name in FORM_WORD_LISTS:
            self.fields[f"words-{name}"] = forms.CharField(
                label=name.capitalize(),
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=WORD_LIST_HELP[name] + " One a line.",
                initial="\n".join(words.get(name, [])),
            )

    def level_rows(self):
        """(rule, its bound field) for the rules' table."""
        return [(rule, self[f"level-{rule.id}"]) for rule in self.rules]

    def word_fields(self):
        return [field for field in self if field.name.startswith("words-")]

    def levels(self) -> dict[str, str]:
        return {rule.id: self.cleaned_data[f"level-{rule.id}"] for rule in self.rules}

    def words(self) -> dict[str, list[str]]:
        return {
            field.name.removeprefix("words-"): [
                line.strip() for line in self.cleaned_data[field.name].splitlines() if line.strip()
            ]
            for field in self.word_fields()
        }


class DoneFiltersForm(forms.Form):
    """The done list's filters, read from the query string; a bad value filters nothing and is shown as an error."""

    q = forms.CharField(required=False, max_length=200, label="Title contains")
    team = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(required=False)
    service = forms.CharField(required=False, max_length=200)
    done_from = forms.DateField(required=False, label="Done from", widget=forms.DateInput(attrs={"type": "date"}))
    done_to = forms.DateField(required=False, label="Done until", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team")] + [(t.slug, t.name) for t in teams_visible_to(user)]
        self.fields["severity"].choices = [("", "Any severity")] + [(s.key, s.key) for s in severity_levels_for(user)]

    def filters(self) -> DoneFilters:
        self.is_valid()  # the valid fields filter, the others are left out
        data = self.cleaned_data
        return DoneFilters(
            team=data.get("team") or "",
            severity=data.get("severity") or "",
            service=(data.get("service") or "").strip(),
            done_from=data.get("done_from"),
            done_to=data.get("done_to"),
            q=data.get("q") or "",
        )
