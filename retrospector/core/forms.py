from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import mark_safe


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form, on the field it names when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages[0] if hasattr(error, "messages") else str(error))
    else:
        for message in exc.messages:
            form.add_error(None, message)


def show_conflict(form, exc):
    """A stale edit was refused (a ConflictError carrying the current record): say so on the form, keep what the person
    typed, and base the next save on the current version, so saving again is a knowing overwrite. Returns the current
    record, to show beside the form."""
    form.add_error(None, f"{exc} Their version is shown; your changes are still in the form.")
    form.data = form.data.copy()
    form.data[form.add_prefix("base_version")] = exc.current.version
    return exc.current


class PlainSelect(forms.Select):
    """forms.Select with its options written in Python instead of one template render each: a time zone list has
    over 400 options, which cost Django's widget templates about 40 ms a page. Same markup; grouped choices fall
    back to forms.Select."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        options = choices.html_options() if isinstance(choices, SharedChoices) else _html_options(choices)
        if options is None:  # grouped choices
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        attributes = "".join(
            f" {escape(key)}" if item is True else f' {escape(key)}="{escape(str(item))}"'
            for key, item in self.build_attrs(self.attrs, attrs).items() if item is not False
        )
        parts = [f'<select name="{escape(name)}"{attributes}>']
        has_selected = False
        for option_value, html_value, html_label in options:
            selected = (not has_selected or self.allow_multiple_selected) and option_value in values
            has_selected |= selected
            parts.append(f'\n  <option value="{html_value}"{" selected" if selected else ""}>{html_label}</option>\n')
        parts.append("\n</select>")
        return mark_safe("".join(parts))


def _html_options(choices) -> list[tuple[str, str, str]] | None:
    """(value, value escaped, label escaped unless HTML-safe) for flat choices; None for grouped ones."""
    options = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            return None
        value = "" if value is None else str(value)
        options.append((value, escape(value), label.__html__() if hasattr(label, "__html__") else escape(str(label))))
    return options


class SharedChoices(BaseChoiceIterator):
    """A long, fixed list of choices (e.g. 400 time zones) that forms share instead of copying: Django deep-copies and
    re-normalizes a field's choices every time a form is made, which cost milliseconds a page."""

    def __init__(self, choices):
        self.choices = tuple((value, label) for value, label in choices)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self

    def html_options(self):
        if not hasattr(self, "_html"):
            self._html = _html_options(self.choices)
        return self._html
