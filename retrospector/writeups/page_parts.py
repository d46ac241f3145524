"""What the apps above writeups add to a retrospective's page, without writeups importing them (the layers point down).

An app lists functions in `retrospective_page_parts` on its AppConfig (dotted paths, like `periodic_jobs`). Each is
called as `part(request=..., retrospective=..., sections=[...])` and returns a PagePart, or None to add nothing. The
page includes each part's templates with the part's context under `part`:

- `side_template` in the side column (who owns it and by when, the review's state and its actions);
- `section_template` right after each section's card, with `section` set (feedback threads beside the section). It
  is outside the card, so editing the section in place keeps it;
- `main_template` after the sections (accounts, questions, the list of threads).

A part that sets `replaces_transitions` draws the state buttons itself, and the page leaves out its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrospector.core.hooks import app_hooks

PARTS = "retrospective_page_parts"  # the AppConfig attribute that lists them


@dataclass(frozen=True)
class PagePart:
    side_template: str = ""
    section_template: str = ""
    main_template: str = ""
    context: dict = field(default_factory=dict)
    replaces_transitions: bool = False


def retrospective_page_parts(*, request, retrospective, sections) -> list[PagePart]:
    made = (make(request=request, retrospective=retrospective, sections=sections) for make in app_hooks(PARTS))
    return [part for part in made if part is not None]
