from django import forms
from django.conf import settings

from retrospector.accounts.forms import TIME_ZONE_CHOICES
from retrospector.core.forms import LongSelect, SharedChoices
from retrospector.importers.zip_limits import size_text

from .services import ACTION_STATUSES
from .uploads import history_teams_for

_ZONES = SharedChoices([("", "— UTC, unless a file says —"), *TIME_ZONE_CHOICES])
ACCEPTED = ".zip,.md,.markdown,.txt,.html,.htm,.docx"


class HistoryUploadForm(forms.Form):
    """What the page asks for; the rules (team, zone, mapping, the file) are checked by uploads.history_upload_create,
    the one copy the API and the command share."""

    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team whose past incidents these are.")
    file = forms.FileField(
        label="Write-ups",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}),
        help_text="A zip of Markdown, HTML (Confluence, Google Docs) and Word (.docx) files in any folders, or one "
        "such file.",
    )
    tz = forms.ChoiceField(
        choices=_ZONES,
        required=False,
        label="Time zone of times written without one",
        widget=LongSelect,
        help_text="A file's own zone (front matter, a zone in a timeline's header) wins.",
    )
    mapping = forms.FileField(
        required=False,
        label="Mapping file (optional)",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,.json"}),
        help_text="YAML or JSON overriding what is read: template, sections (heading → section), fields, dates.",
    )
    private = forms.BooleanField(required=False, label="Private to the team (and people it invites)")
    dates = forms.ChoiceField(
        choices=[
            ("", "Not guessed"),
            ("day-first", "Day first (4 March)"),
            ("month-first", "Month first (April 3)"),
        ],
        required=False,
        label="Dates like 04/03/2021",
        help_text="A file whose other dates tell the order (13/03/2021) is read that way whatever this says; dates "
        "not read are reported.",
    )
    action_status = forms.ChoiceField(
        choices=list(ACTION_STATUSES.items()),
        initial="planned",
        required=False,  # planned when not given
        label="Action items without a status become",
        help_text="For items with no checkbox, status column or status word: years of old items need not all be "
        "open. Items whose write-up says done, in progress or won't do keep that.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = history_teams_for(user)
        self.fields["file"].help_text += f" Up to {size_text(settings.HISTORY_IMPORT_MAX_BYTES)}."
