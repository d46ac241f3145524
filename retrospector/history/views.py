"""The history import's pages: upload a zip, read the report, confirm; and the note on an imported write-up."""

from __future__ import annotations

from retrospector.writeups.page_parts import PagePart

from .models import ImportedWriteup


def imported_page_part(*, request, retrospective, sections) -> PagePart | None:
    source = ImportedWriteup.objects.filter(retrospective_id=retrospective.pk).first()
    if source is None:
        return None
    return PagePart(side_template="history/imported_side.html", context={"source": source})
