from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import get_default_renderer
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
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


class SharedChoices(BaseChoiceIterator):
    """A long, fixed list of choices (e.g. 400 time zones) that forms share instead of copying: Django deep-copies and
    re-normalizes a field's choices every time a form is made, which cost milliseconds a page. Being fixed, their
    <option> elements are also rendered once (see LongSelect)."""

    def __init__(self, choices):
        self.choices = tuple((value, label) for value, label in choices)
        self._rendered: dict[tuple, tuple[list[str], dict[int, str]]] = {}  # (template, renderer) -> options

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self

    @cached_property
    def grouped(self) -> bool:
        return any(isinstance(label, (list, tuple)) for _, label in self.choices)

    @cached_property
    def _first_index(self) -> dict[str, int]:
        """Each value's first position, as the widget compares them (strings, None as "")."""
        positions: dict[str, int] = {}
        for index, (value, _) in enumerate(self.choices):
            positions.setdefault("" if value is None else str(value), index)
        return positions

    def options_html(self, widget: forms.Select, renderer, values: list[str]) -> str:
        """The <option> elements as forms.Select's template writes them for these (flat) choices, the first one whose
        value is in `values` selected (as ChoiceWidget.optgroups chooses). Each is rendered by the widget's own option
        template the first time it is needed, and kept."""

        def render(index: int, selected: bool) -> str:
            value, label = self.choices[index]
            option = widget.create_option(None, "" if value is None else value, label, selected, index)
            return f"\n  {renderer.render(widget.option_template_name, {'widget': option})}\n"  # select.html's layout

        key = (widget.option_template_name, renderer)
        if key not in self._rendered:
            self._rendered[key] = ([render(index, False) for index in range(len(self.choices))], {})
        unselected, selected_html = self._rendered[key]
        chosen = min((self._first_index[value] for value in values if value in self._first_index), default=None)
        if chosen is None:
            return mark_safe("".join(unselected))
        if chosen not in selected_html:
            selected_html[chosen] = render(chosen, True)
        return mark_safe("".join(unselected[:chosen]) + selected_html[chosen] + "".join(unselected[chosen + 1 :]))


class LongSelect(forms.Select):
    """forms.Select for a long, fixed list of choices (SharedChoices: 400 time zones). Each <option> is rendered by
    Django's own option template once per process and kept with the choices, instead of once per page (400 template
    renders cost about 40 ms a page); the <select> around them is a template using Django's attrs template. Same
    markup as forms.Select, within 0.1 ms of writing it in Python; other choices (a list, groups) are rendered by
    forms.Select itself."""

    long_template_name = "core/widgets/long_select.html"

    def render(self, name, value, attrs=None, renderer=None):
        choices = self.choices
        if not isinstance(choices, SharedChoices) or choices.grouped:
            return super().render(name, value, attrs, renderer)
        renderer = renderer or get_default_renderer()
        context = forms.Widget.get_context(self, name, value, attrs)  # not ChoiceWidget's: it builds every option
        context["widget"]["options"] = choices.options_html(self, renderer, context["widget"]["value"])
        return self._render(self.long_template_name, context, renderer)
