"""Forms of the review's pages; the rules they carry out are the services'."""

from uuid import uuid4

from django import forms

from .models import Thread
from .threads import COMMENT_MAX


def new_client_token() -> str:
    """A token for one form: submitting the form twice writes one comment."""
    return uuid4().hex


class ThreadStartForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Thread.Kind.choices,
        initial=Thread.Kind.CHANGE,
        widget=forms.RadioSelect,
        help_text="Change: ask for a change. Clarify: something is unclear. Disagree: you see it differently. "
        "Question: you want to know more.",
    )
    quote = forms.CharField(
        required=False,
        max_length=Thread.QUOTE_MAX,
        label="Passage (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Copy the words you comment on from the section; leave empty to comment on the whole section.",
    )
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. Mention someone with @username.",
    )
    client_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = forms.CharField(label="Reply", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    client_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class CommentEditForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    base_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=Thread.Resolution.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
