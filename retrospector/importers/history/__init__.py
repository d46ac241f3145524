"""Bringing a history in: past postmortems written elsewhere (Markdown with or without front matter, HTML exported
from Confluence or Google Docs, Word files), read into plain data and understood without a template of ours. Pure
Python: no Django. The readers (markdown.py, html.py, docx.py) turn a file into a SourceDocument of Blocks
(blocks.py); understanding (understand.py) turns that into a HistoryRecord: title, dates, sections matched to a
built-in template, timeline events and action items, with every problem found."""
