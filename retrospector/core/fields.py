"""Model fields shared by the apps."""

from django.db import models

from .text import strip_bidi_controls


class SingleLineField(models.CharField):
    """A CharField for a title, name or label: bidirectional-text controls are dropped when a value is cleaned
    (full_clean, model forms), saved (save, bulk_create: the instance then holds what was stored) and written by
    QuerySet.update, and from lookups alike.

    It deconstructs as a plain CharField: the column is the same, so migrations neither see nor need it."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return strip_bidi_controls(value) if isinstance(value, str) else value

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if isinstance(value, str):
            cleaned = strip_bidi_controls(value)
            if cleaned != value:
                setattr(model_instance, self.attname, cleaned)
            return cleaned
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return strip_bidi_controls(value) if isinstance(value, str) else value
