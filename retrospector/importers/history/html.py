"""HTML to Markdown text, for past postmortems exported as web pages: pandoc or any editor's HTML, Confluence "export
to HTML" pages (only the page body, `#main-content` / `.wiki-content`, is read: breadcrumbs, menus and footers are
not), Confluence storage format (`<ac:structured-macro>`, `<ac:task-list>`, `<ri:page>`...) and Google Docs
"download as HTML" (bold and italic given by classes in the `<style>` block, lists nested by their `lst-kix_...-N`
class). Pure Python: the standard library's html.parser, no Django.

What is kept: headings, paragraphs, lists (nested, ordered or not, with checkboxes), tables (the first row is the
header; a cell spanning N columns is followed by N-1 empty cells), code blocks, links (only http, https and mailto
ones: any other link keeps its text only), bold, italic, strike-through, inline code and line breaks. What is dropped:
scripts, styles, the head, navigation, forms, comments and images (their alt text stays). Unknown elements, and
unknown Confluence macros, are kept as their text. The Markdown written holds no HTML: `<`, `>`, `*`, `_`, `[`...
in the text are escaped, so nothing in the page becomes markup it was not.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

from retrospector.importers.history.markdown_out import blocks_markdown, table_markdown

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
DROPPED = frozenset(
    {
        "script",
        "style",
        "head",
        "nav",
        "noscript",
        "template",
        "iframe",
        "object",
        "svg",
        "math",
        "form",
        "button",
        "select",
        "textarea",
        "footer",
        "ac:parameter",
        "ac:placeholder",
        "ac:task-id",
        "ac:image",
        "ac:emoticon",
    }
)
HEADINGS = {f"h{n}": n for n in range(1, 7)}
BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "body",
        "html",
        "header",
        "aside",
        "figure",
        "figcaption",
        "center",
        "address",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "ul",
        "ol",
        "table",
        "pre",
        "blockquote",
        "hr",
        "li",
        "ac:structured-macro",
        "ac:rich-text-body",
        "ac:layout",
        "ac:layout-section",
        "ac:layout-cell",
        "ac:task-list",
        *HEADINGS,
    }
)
INLINE_MACROS = frozenset({"status", "jira", "anchor", "emoticon"})
MAX_DEPTH = 120  # deeper elements are read as their parent's content: a page cannot exhaust the stack
SAFE_SCHEMES = ("http", "https", "mailto")
SPACE_RE = re.compile(r"[ \t\r\n\f\v\xa0\u2028\u2029]+")
ESCAPED_RE = re.compile(r"([\\`*\[\]<>~|])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|&(?=#?[A-Za-z0-9]+;)")
LINE_START_RE = re.compile(r"^([#>+=|-]|\d{1,9}(?=[.)]))")
GDOCS_LIST_RE = re.compile(r"\blst-kix_[A-Za-z0-9_]+-(\d+)\b")
CSS_RULE_RE = re.compile(r"\.([A-Za-z_][\w-]*)\s*\{([^}]*)\}")
BOLD_CSS_RE = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.IGNORECASE)
ITALIC_CSS_RE = re.compile(r"font-style\s*:\s*italic", re.IGNORECASE)
CODE_LANGUAGE_RE = re.compile(r"(?:\blanguage-|\bbrush:\s*|\bsourceCode\s+)([A-Za-z0-9_+#-]+)")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    """A forgiving tree: unclosed elements close with their parent, a stray end tag is ignored, a new <p>, <li>, <tr>
    or cell closes the open one it follows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]
        self.styles: list[str] = []
        self._in_style = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        if not (tag == "ac:structured-macro" and node.attrs.get("ac:name") in INLINE_MACROS):
            self._close_implied(tag)
        self.stack[-1].children.append(node)
        if tag in VOID or tag.endswith("/"):
            return
        if len(self.stack) < MAX_DEPTH:
            self.stack.append(node)
        if tag == "style":
            self._in_style += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break
        if tag == "style" and self._in_style:
            self._in_style -= 1

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        self.stack[-1].children.append(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):  # Confluence storage format keeps code and link bodies in CDATA
            self.stack[-1].children.append(data[6:])

    def _close_implied(self, tag: str) -> None:
        if tag in ("p", "li", "tr", "td", "th", "dt", "dd") or tag in BLOCKS and tag != "li":
            closes = {
                "li": ("li",),
                "tr": ("tr", "td", "th"),
                "td": ("td", "th"),
                "th": ("td", "th"),
                "dt": ("dt", "dd"),
                "dd": ("dt", "dd"),
            }.get(tag, ("p",))
            scopes = {"li": ("ul", "ol"), "tr": ("table",), "td": ("tr", "table"), "th": ("tr", "table")}
            scope = scopes.get(tag, ("div", "body", "li", "td", "th", "blockquote", "table", "ul", "ol"))
            for index in range(len(self.stack) - 1, 0, -1):
                current = self.stack[index].tag
                if current in closes:
                    del self.stack[index:]
                    return
                if current in scope:
                    return


def _find(node: Node, wanted) -> Node | None:
    """The first element (depth first) for which wanted(element) is true."""
    pending: list[Node | str] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            continue
        if wanted(current):
            return current
        pending.extend(reversed(current.children))
    return None


def _text_of(node: Node | str) -> str:
    """All the text under a node, raw (for code)."""
    if isinstance(node, str):
        return node
    if node.tag in ("script", "style", "head"):
        return ""
    if node.tag == "br":
        return "\n"
    return "".join(_text_of(child) for child in node.children)


def escape_text(text: str) -> str:
    return ESCAPED_RE.sub(lambda m: "\\" + m.group(0), text)


def safe_url(href: str) -> str | None:
    href = href.strip()
    parts = urlsplit(href) if href else None
    if parts is None or parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parts.scheme.lower() in ("http", "https") and not parts.netloc:
        return None
    if parts.netloc in ("www.google.com", "google.com") and parts.path == "/url":  # Google Docs wraps every link
        target = parse_qs(parts.query).get("q", [""])[0]
        if target and target != href:
            return safe_url(target) or None
    return quote(href, safe="/:?#[]@!$&'*+,;=%~-._")


@dataclass
class _Style:
    bold: bool = False
    italic: bool = False
    code: bool = False


class _Writer:
    def __init__(self, bold_classes: set[str], italic_classes: set[str]) -> None:
        self.bold_classes = bold_classes
        self.italic_classes = italic_classes
        self.blocks: list[tuple[str, str]] = []  # (kind, markdown)

    # ----------------------------------------------------------------- inline

    def inline(self, node: Node | str, style: _Style) -> str:
        if isinstance(node, str):
            return SPACE_RE.sub(" ", node) if style.code else escape_text(SPACE_RE.sub(" ", node))
        tag = node.tag
        if tag in DROPPED or tag in ("table", "input"):
            return " " + self._table_as_text(node, style) + " " if tag == "table" else ""
        if tag == "br":
            return "\n"
        if tag == "img":
            return escape_text(SPACE_RE.sub(" ", node.attrs.get("alt", "")))
        if tag == "ri:page":
            return escape_text(node.attrs.get("ri:content-title", ""))
        if tag == "ri:attachment":
            return escape_text(node.attrs.get("ri:filename", ""))
        if tag == "ri:user":
            return "@" + escape_text(node.attrs.get("ri:username", "") or "user")
        if tag == "ac:link":
            body = _find(node, lambda n: n.tag in ("ac:plain-text-link-body", "ac:link-body"))
            return self.inline(body, style) if body else self.children_inline(node, style)
        if tag == "time" and not _text_of(node).strip():
            return escape_text(node.attrs.get("datetime", ""))
        if tag == "ac:structured-macro":
            return self._macro_inline(node, style)
        if tag in ("code", "kbd", "samp", "tt") and not style.code:
            return code_span(_text_of(node))
        if tag == "a":
            text = self.children_inline(node, style)
            url = safe_url(node.attrs.get("href", ""))
            if url is None or style.code:
                return text
            label = text.strip() or escape_text(url)
            return f"[{label}]({url})" if "\n" not in label else label
        bold = tag in ("strong", "b") or self._css(node, self.bold_classes, BOLD_CSS_RE)
        italic = tag in ("em", "i", "cite", "var") or self._css(node, self.italic_classes, ITALIC_CSS_RE)
        strike = tag in ("s", "del", "strike")
        inner_style = _Style(style.bold or bold, style.italic or italic, style.code)
        text = self.children_inline(node, inner_style)
        if tag in BLOCKS or tag in ("td", "th", "tr", "li"):
            text = f" {text} "
        if bold and not style.bold:
            text = wrap_emphasis(text, "**")
        if italic and not style.italic:
            text = wrap_emphasis(text, "*")
        if strike:
            text = wrap_emphasis(text, "~~")
        return text

    def children_inline(self, node: Node, style: _Style) -> str:
        return "".join(self.inline(child, style) for child in node.children)

    def _css(self, node: Node, classes: set[str], pattern: re.Pattern) -> bool:
        if node.tag not in ("span", "p", "font", "a") and not node.tag.startswith("h"):
            return False
        return bool(classes.intersection(node.classes())) or bool(pattern.search(node.attrs.get("style", "")))

    def _macro_inline(self, node: Node, style: _Style) -> str:
        name = node.attrs.get("ac:name", "")
        parameters = _macro_parameters(node)
        if name == "status":
            return escape_text(parameters.get("title", ""))
        if name == "jira":
            return escape_text(parameters.get("key", ""))
        body = _find(node, lambda n: n.tag in ("ac:rich-text-body", "ac:plain-text-body"))
        if body is None:
            return ""
        if body.tag == "ac:plain-text-body":
            return escape_text(SPACE_RE.sub(" ", _text_of(body)))
        return self.children_inline(body, style)

    # ----------------------------------------------------------------- blocks

    def paragraph(self, text: str, kind: str = "paragraph") -> None:
        lines = [SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            self.blocks.append((kind, "\\\n".join(guard_line_start(line) for line in lines)))

    def block(self, node: Node, style: _Style) -> None:
        """Write the blocks of `node`'s children: runs of inline content become paragraphs."""
        run: list[str] = []

        def flush() -> None:
            if run:
                self.paragraph("".join(run))
                run.clear()

        for child in node.children:
            if isinstance(child, str) or not self._is_block(child):
                run.append(self.inline(child, style))
                continue
            flush()
            self.element(child, style)
        flush()

    def _is_block(self, node: Node) -> bool:
        if node.tag == "ac:structured-macro":
            return node.attrs.get("ac:name", "") not in INLINE_MACROS
        return node.tag in BLOCKS

    def element(self, node: Node, style: _Style) -> None:
        tag = node.tag
        if tag in HEADINGS:
            text = SPACE_RE.sub(" ", self.children_inline(node, _Style(bold=True))).strip()
            if text:
                self.blocks.append(("heading", "#" * HEADINGS[tag] + " " + text))
        elif tag in ("ul", "ol", "ac:task-list"):
            lines: list[str] = []
            depth = int(match.group(1)) if (match := GDOCS_LIST_RE.search(node.attrs.get("class", ""))) else 0
            self.list_lines(node, lines, indent="   " * depth, ordered=tag == "ol")
            if lines:
                kind = "gdocs-list" if match else "list"
                self.blocks.append((kind, "\n".join(lines)))
        elif tag == "table":
            self.table(node, style)
        elif tag == "pre":
            self.code(_text_of(node), _language(node))
        elif tag == "hr":
            self.blocks.append(("rule", "---"))
        elif tag == "blockquote":
            self._quoted(node, style)
        elif tag == "ac:structured-macro":
            self.macro(node, style)
        elif tag == "dt":
            self.paragraph(wrap_emphasis(self.children_inline(node, _Style(bold=True)), "**"))
        elif tag == "p" and "title" in node.classes():  # Google Docs writes its Title style as <p class="title">
            text = SPACE_RE.sub(" ", self.children_inline(node, _Style(bold=True))).strip()
            if text:
                self.blocks.append(("heading", "# " + text))
        else:
            self.block(node, style)

    def _quoted(self, node: Node, style: _Style) -> None:
        inner = _Writer(self.bold_classes, self.italic_classes)
        inner.block(node, style)
        text = inner.markdown()
        if text:
            self.blocks.append(("quote", "\n".join(f"> {line}".rstrip() for line in text.split("\n"))))

    def macro(self, node: Node, style: _Style) -> None:
        name = node.attrs.get("ac:name", "")
        parameters = _macro_parameters(node)
        if name in ("code", "noformat"):
            body = _find(node, lambda n: n.tag == "ac:plain-text-body")
            self.code(_text_of(body) if body else "", parameters.get("language", ""))
        elif name in ("toc", "children", "anchor", "pagetree", "recently-updated", "contributors"):
            return
        elif name in ("info", "note", "warning", "tip", "panel", "excerpt", "expand", "details", "section", "column"):
            body = _find(node, lambda n: n.tag == "ac:rich-text-body")
            if body is not None:
                title = parameters.get("title", "")
                if title:
                    self.paragraph(wrap_emphasis(escape_text(title), "**"))
                self.block(body, style)
        else:  # unknown macros: their text
            body = _find(node, lambda n: n.tag in ("ac:rich-text-body", "ac:plain-text-body"))
            if body is None:
                self.paragraph(self._macro_inline(node, style))
            elif body.tag == "ac:plain-text-body":
                self.paragraph(escape_text(_text_of(body)))
            else:
                self.block(body, style)

    def code(self, text: str, language: str) -> None:
        text = text.strip("\n").replace("\r\n", "\n")
        fence = "```"
        while fence in text:
            fence += "`"
        language = re.sub(r"[^A-Za-z0-9_+#-]", "", language)
        self.blocks.append(("code", f"{fence}{language}\n{text}\n{fence}"))

    def list_lines(self, node: Node, lines: list[str], *, indent: str, ordered: bool) -> None:
        task_list = node.tag == "ac:task-list" or "inline-task-list" in node.classes()
        for child in node.children:
            if isinstance(child, str):
                continue
            if child.tag in ("li", "ac:task"):
                self._item(child, lines, indent=indent, ordered=ordered, task_list=task_list)
            elif child.tag in ("ul", "ol", "ac:task-list"):  # a list directly in a list (invalid, but common)
                self.list_lines(child, lines, indent=indent + "   ", ordered=child.tag == "ol")

    def _item(self, item: Node, lines: list[str], *, indent: str, ordered: bool, task_list: bool) -> None:
        checked: bool | None = None
        if item.tag == "ac:task":
            status = _find(item, lambda n: n.tag == "ac:task-status")
            checked = status is not None and _text_of(status).strip() == "complete"
            body = _find(item, lambda n: n.tag == "ac:task-body") or Node("ac:task-body")
        else:
            body = item
            box = _find(item, lambda n: n.tag == "input" and n.attrs.get("type", "").lower() == "checkbox")
            if box is not None:
                checked = "checked" in box.attrs
            elif task_list:
                checked = "checked" in item.classes()
        text_parts: list[str] = []
        nested: list[Node] = []
        for child in body.children:
            if isinstance(child, Node) and child.tag in ("ul", "ol", "ac:task-list", "pre"):
                nested.append(child)
            else:
                text_parts.append(self.inline(child, _Style()))
        text = SPACE_RE.sub(" ", "".join(text_parts).replace("\n", " ")).strip()
        marker = "1. " if ordered else "- "
        box_text = "" if checked is None else ("[x] " if checked else "[ ] ")
        lines.append(f"{indent}{marker}{box_text}{guard_line_start(text) if text else ''}".rstrip())
        inner = indent + " " * len(marker)
        for child in nested:
            if child.tag == "pre":  # a code block inside the item, indented under it
                code = _Writer(self.bold_classes, self.italic_classes)
                code.code(_text_of(child), _language(child))
                lines.append("")
                lines += [f"{inner}{line}" if line else "" for line in code.blocks[0][1].split("\n")]
                lines.append("")
            else:
                self.list_lines(child, lines, indent=inner, ordered=child.tag == "ol")

    def table(self, node: Node, style: _Style) -> None:
        rows = self._rows(node)
        if not rows:
            return
        self.blocks.append(("table", table_markdown(rows)))

    def _rows(self, table: Node) -> list[list[str]]:
        rows: list[list[str]] = []
        pending: list[Node | str] = list(reversed(table.children))
        while pending:
            current = pending.pop()
            if isinstance(current, str):
                continue
            if current.tag == "tr":
                cells = []
                for cell in current.children:
                    if isinstance(cell, Node) and cell.tag in ("td", "th"):
                        text = self.children_inline(cell, _Style())
                        cells.append(SPACE_RE.sub(" ", text.replace("\n", " ")).strip())
                        span = cell.attrs.get("colspan", "1")
                        cells += [""] * (min(int(span), 50) - 1 if span.isdigit() and int(span) > 1 else 0)
                if cells:
                    rows.append(cells)
            elif current.tag in ("thead", "tbody", "tfoot"):
                pending.extend(reversed(current.children))
        return rows

    def _table_as_text(self, node: Node, style: _Style) -> str:
        return " ".join(" ".join(cell for cell in row if cell) for row in self._rows(node))

    def markdown(self) -> str:
        return blocks_markdown(self.blocks, tight="gdocs-list")


def _macro_parameters(node: Node) -> dict[str, str]:
    return {
        child.attrs.get("ac:name", ""): _text_of(child).strip()
        for child in node.children
        if isinstance(child, Node) and child.tag == "ac:parameter"
    }


def _language(node: Node) -> str:
    for current in (node, *(c for c in node.children if isinstance(c, Node))):
        for value in (current.attrs.get("class", ""), current.attrs.get("data-syntaxhighlighter-params", "")):
            if match := CODE_LANGUAGE_RE.search(value):
                return match.group(1)
    return ""


def code_span(text: str) -> str:
    text = SPACE_RE.sub(" ", text).strip()
    if not text:
        return ""
    fence = "`"
    while fence in text:
        fence += "`"
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def wrap_emphasis(text: str, marker: str) -> str:
    """`**bold**` around the text, with its surrounding spaces left outside (Markdown needs them there)."""
    stripped = text.strip(" ")
    if not stripped or "\n" in stripped:
        return text
    lead = text[: len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")) :]
    return f"{lead}{marker}{stripped}{marker}{trail}"


def guard_line_start(line: str) -> str:
    """A backslash before what would make a line a heading, a quote, a list item or a table row."""
    match = LINE_START_RE.match(line)
    if not match:
        return line
    if match.group(1)[0].isdigit():
        end = match.end()
        return line[:end] + "\\" + line[end:]
    return "\\" + line


def _style_classes(styles: list[str]) -> tuple[set[str], set[str]]:
    bold, italic = set(), set()
    for name, body in CSS_RULE_RE.findall("".join(styles)):
        if BOLD_CSS_RE.search(body):
            bold.add(name)
        if ITALIC_CSS_RE.search(body):
            italic.add(name)
    return bold, italic


def html_to_markdown(html: str) -> str:
    """The page as Markdown text (no HTML in it); "" when it holds no text."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    root = builder.root
    bold, italic = _style_classes(builder.styles)
    writer = _Writer(bold, italic)
    body = _find(
        root, lambda n: n.attrs.get("id") == "main-content" or "wiki-content" in n.attrs.get("class", "").split()
    )
    if body is not None:  # a Confluence export: the page's title, then its body only
        title = _find(root, lambda n: n.attrs.get("id") == "title-text")
        if title is not None:
            text = SPACE_RE.sub(" ", _text_of(title)).strip()
            text = text.split(" : ", 1)[1] if " : " in text else text  # "Space : Page title"
            if text:
                writer.blocks.append(("heading", "# " + escape_text(text)))
        root = body
    writer.block(root, _Style())
    return writer.markdown()


def decode_html(data: bytes) -> str:
    """The page's text: its byte-order mark, else its <meta charset>, else UTF-8 (errors replaced)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    match = re.search(rb"""<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_-]{1,40})""", data[:4096], re.IGNORECASE)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def read_html(data: bytes, *, path: str):
    """The page as a SourceDocument (format "html"), read by the Markdown reader from the converted text."""
    from .markdown import read_markdown_text  # histmd's reader; imported here so this module works without it

    text = html_to_markdown(decode_html(data))
    return read_markdown_text(text, path=path, checksum=hashlib.sha256(data).hexdigest(), format="html")
