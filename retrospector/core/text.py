"""One-line text (titles and names) as a reader sees it: without bidirectional-text controls. Django-free.

A right-to-left override (U+202E) or its relatives make text display in an order other than the one it is stored in:
"Rollback of " + U+202E + "gnitset" reads "Rollback of testing", and the override runs on into the text
printed after the title on the same line. Titles, names and labels have no use for them, so the fields that hold
them (core.fields.SingleLineField) drop them on the way in, whatever writes the row (a service, a form, the API, an
import, the admin), and the services check and compare what is left (single_line). Multi-line Markdown bodies keep
them: right-to-left writing needs them there, and each paragraph is its own block, which ends any override it holds.
"""

import re

# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO), isolates (LRI, RLI, FSI, PDI), and the marks LRM, RLM and ALM.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")


def strip_bidi_controls(text: str) -> str:
    # isascii() first: most names are ASCII, and an import passes a million actor names through here.
    return text if text.isascii() else _BIDI_RE.sub("", text)


def single_line(text: str | None) -> str:
    """What a title or name field keeps of `text`: no bidirectional-text controls, no surrounding white space."""
    return strip_bidi_controls(text or "").strip()
