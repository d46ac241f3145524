from django import forms

from retrospector.core.forms import LongSelect, SharedChoices
from retrospector.core.zones import ZONE_NAMES

from .models import Role, User

TIME_ZONE_CHOICES = [(tz, tz) for tz in ZONE_NAMES]
_ZONES = SharedChoices(TIME_ZONE_CHOICES)  # shared by every form, its options rendered once (see LongSelect)


class PreferencesForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    time_zone = forms.ChoiceField(
        choices=_ZONES, widget=LongSelect, help_text="Times are shown and entered in this zone."
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'CI lint job'.")


class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Person")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


class TeamForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=100, label="Short name", help_text="Used in links and filters.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NewPersonForm(forms.Form):
    username = forms.CharField(max_length=150)
    full_name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    time_zone = forms.ChoiceField(choices=_ZONES, widget=LongSelect, initial="UTC")
    password = forms.CharField(widget=forms.PasswordInput, help_text="A first password; they can change it later.")
    is_org_admin = forms.BooleanField(required=False, label="Organization admin")


class ImageHostsForm(forms.Form):
    image_hosts = forms.CharField(
        required=False,
        label="Hosts that may serve images",
        widget=forms.Textarea(attrs={"rows": 5, "class": "mono", "spellcheck": "false"}),
        help_text=(
            "One host a line, such as images.example.com, or *.example.com for all of its subdomains (https only). "
            "Images from any other host are shown as links: an outside image would tell its host who read the "
            "write-up, and when. Leave empty to show only images stored here."
        ),
    )
