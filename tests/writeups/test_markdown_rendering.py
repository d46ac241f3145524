"""Markdown rendering and sanitizing: hostile input never yields executable HTML.

Every security assertion is made on the *parsed output* (via html.parser),
not on substrings, so the tests don't depend on nh3's exact serialization.
The allow-lists below are written out independently of the module on
purpose: importing them would make the checks tautological.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.core.markdown import MAX_MARKDOWN_BYTES, markdown_size_error, render_markdown

pytestmark = pytest.mark.no_database

# --------------------------------------------------------------------------
# Output inspection helpers
# --------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
    "sup", "sub", "details", "summary", "kbd", "span",
}  # fmt: skip

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed",
    "svg", "math", "form", "input", "button", "textarea", "select",
    "link", "meta", "base", "template", "noscript", "applet", "video",
    "audio", "source", "track", "xmp", "plaintext",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
}

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}

# Characters a browser's URL parser ignores (C0 controls, space) or that
# HTML parsing may leave in an attribute; strip all of them before looking
# for a scheme, which over-approximates what a browser would see.
_IGNORABLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]


@dataclass
class ParsedHTML:
    elements: list[Element] = field(default_factory=list)
    text: str = ""
    comments: list[str] = field(default_factory=list)
    other_markup: list[str] = field(default_factory=list)

    def tags(self) -> set[str]:
        return {e.tag for e in self.elements}

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = ParsedHTML()
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.result.elements.append(Element(tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.result.elements.append(Element(tag, dict(attrs)))

    def handle_data(self, data):
        self._text.append(data)

    def handle_comment(self, data):
        self.result.comments.append(data)

    def handle_decl(self, decl):
        self.result.other_markup.append(decl)

    def handle_pi(self, data):
        self.result.other_markup.append(data)

    def unknown_decl(self, data):
        self.result.other_markup.append(data)


def parse_html(html: str) -> ParsedHTML:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    collector.result.text = "".join(collector._text)
    return collector.result


def url_scheme(value: str) -> str | None:
    """The scheme a browser could see in ``value``, or None if relative."""
    cleaned = _IGNORABLE.sub("", value).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


def safety_problems(html: str) -> list[str]:
    """Everything executable or otherwise disallowed in rendered output."""
    parsed = parse_html(html)
    problems: list[str] = []
    for el in parsed.elements:
        if el.tag in FORBIDDEN_TAGS:
            problems.append(f"forbidden tag <{el.tag}>")
        if el.tag not in ALLOWED_TAGS:
            problems.append(f"unexpected tag <{el.tag}>")
        for name, value in el.attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler {name} on <{el.tag}>")
            if name == "style":
                problems.append(f"style attribute on <{el.tag}>")
            if name not in ALLOWED_ATTRIBUTES.get(el.tag, set()):
                problems.append(f"unexpected attribute {name} on <{el.tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    problems.append(f"{name}={value!r} on <{el.tag}> has scheme {scheme}")
            if name == "class" and value is not None:
                for cls in value.split():
                    if not cls.startswith("language-"):
                        problems.append(f"class {cls!r} on <{el.tag}>")
        if el.tag == "a":
            rel = (el.attrs.get("rel") or "").split()
            if "nofollow" not in rel or "noopener" not in rel:
                problems.append(f"<a> without rel=nofollow noopener: {el.attrs}")
    if parsed.comments:
        problems.append(f"comments survived: {parsed.comments}")
    if parsed.other_markup:
        problems.append(f"declarations/CDATA survived: {parsed.other_markup}")
    return problems


def assert_safe(markdown: str) -> str:
    html = render_markdown(markdown)
    problems = safety_problems(html)
    assert not problems, f"{markdown!r} rendered to {html!r}: {problems}"
    return html


def hrefs(html: str) -> list[str | None]:
    return [a.attrs.get("href") for a in parse_html(html).find("a")]


def srcs(html: str) -> list[str | None]:
    return [img.attrs.get("src") for img in parse_html(html).find("img")]


# --------------------------------------------------------------------------
# The helper itself must catch what it claims to catch
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)" rel="nofollow noopener">x</a>',
        '<a href=" JaVa\tScRiPt:alert(1)" rel="nofollow noopener">x</a>',
        '<a href="jav&#x09;ascript:alert(1)" rel="nofollow noopener">x</a>',
        '<a href="https://example.com">no rel</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<p style="color:red">x</p>',
        '<code class="evil">x</code>',
        "<!-- x -->",
        "<svg></svg>",
    ],
)
def test_the_safety_helper_flags_known_bad_html(html):
    assert safety_problems(html)


def test_the_safety_helper_accepts_known_good_html():
    html = (
        '<h3>T</h3><p><a href="https://example.com" rel="nofollow noopener">x</a>'
        '<a href="/relative" rel="nofollow noopener">r</a>'
        '<a href="mailto:a@example.com" rel="nofollow noopener">m</a>'
        '<img src="https://example.com/a.png" alt="a"></p>'
        '<pre><code class="language-python">x</code></pre>'
    )
    assert safety_problems(html) == []


# --------------------------------------------------------------------------
# Hostile input
# --------------------------------------------------------------------------


def test_it_removes_script_tags_and_their_content():
    html = assert_safe("before\n\n<script>alert('pwned')</script>\n\nafter")
    assert "pwned" not in html
    assert "before" in html and "after" in html


def test_it_removes_inline_script_tags_and_their_content():
    html = assert_safe("text <script>alert('pwned')</script> more")
    assert "pwned" not in html


@pytest.mark.parametrize(
    "payload",
    [
        "<img src=x onerror=alert(1)>",
        "<img src=x ONERROR=alert(1)>",
        '<img src="x" onerror="alert(1)" />',
        "<p onclick=alert(1)>hi</p>",
        "<a href=https://example.com onmouseover=alert(1)>x</a>",
        "<details open ontoggle=alert(1)><summary>s</summary></details>",
        "<span onpointerenter=alert(1)>x</span>",
        "<body onload=alert(1)>",
        "<img/src=x/onerror=alert(1)>",
        "<img src=x onerror\n=alert(1)>",
    ],
)
def test_it_drops_event_handlers_from_raw_html(payload):
    html = assert_safe(payload)
    assert "alert" not in "".join(str(v) for el in parse_html(html).elements for v in el.attrs.values())


@pytest.mark.parametrize(
    "payload",
    [
        "<svg onload=alert(1)>",
        "<svg/onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
        "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
        "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
    ],
)
def test_it_removes_svg_entirely(payload):
    html = assert_safe(payload)
    parsed = parse_html(html)
    assert "svg" not in parsed.tags()
    # `<svg/onload=...>` is not a tag to CommonMark, so it may come back as
    # escaped text; it must never come back inside markup.
    assert "alert" not in "".join(str(el.attrs) for el in parsed.elements)


@pytest.mark.parametrize(
    "payload",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\nscript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](javascript&#58;alert(1))",
        "[x](javascript&colon;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](jav&#x09;ascript:alert(1))",
        "[x](jav&#x0A;ascript:alert(1))",
        "[x](jav%09ascript:alert(1))",
        "[x](\x01javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](VBScript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](DATA:text/html,<script>alert(1)</script>)",
        "[x](file:///etc/passwd)",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "[x][ref]\n\n[ref]: <javascript:alert(1)> 'title'",
    ],
)
def test_it_neutralises_dangerous_markdown_link_targets(payload):
    html = assert_safe(payload)
    for href in hrefs(html):
        assert href is None or url_scheme(href) in (None, *SAFE_SCHEMES)


@pytest.mark.parametrize(
    "payload",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JAVASCRIPT:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="jav&#x0A;ascript:alert(1)">x</a>',
        '<a href="jav&#x0D;ascript:alert(1)">x</a>',
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)">x</a>',
        '<a href="javascript&colon;alert(1)">x</a>',
        '<a href="&#0000106avascript:alert(1)">x</a>',
        '<a href="\x01javascript:alert(1)">x</a>',
        "<a href='vbscript:msgbox(1)'>x</a>",
        "<a href=data:text/html,<script>alert(1)</script>>x</a>",
        '<a href="javascript:alert(1)" rel="opener">x</a>',
        '<a href="https://example.com" target="_blank">x</a>',
        '<a xlink:href="javascript:alert(1)">x</a>',
        # Not schemes to a browser (so ammonia lets them through as relative
        # URLs), but refused anyway in case something downstream is lenient.
        '<a href="java script:alert(1)">x</a>',
        '<a href="java\x0cscript:alert(1)">x</a>',
        '<a href="java\u200bscript:alert(1)">x</a>',
        '<a href="java&shy;script:alert(1)">x</a>',
        '<a href="java&#xFEFF;script:alert(1)">x</a>',
    ],
)
def test_it_neutralises_dangerous_raw_html_links(payload):
    html = assert_safe(payload)
    for href in hrefs(html):
        assert href is None or url_scheme(href) in (None, *SAFE_SCHEMES)
    for a in parse_html(html).find("a"):
        assert "target" not in a.attrs


@pytest.mark.parametrize(
    "payload",
    [
        "![i](javascript:alert(1))",
        "![i](JaVaScRiPt:alert(1))",
        "![i](data:image/png;base64,iVBORw0KGgo=)",
        "![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "![i](data:text/html,<script>alert(1)</script>)",
        '<img src="javascript:alert(1)">',
        '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
        '<img src="jav&#x09;ascript:alert(1)">',
        '<img srcset="javascript:alert(1) 1x">',
        '<img src="https://example.com/a.png" lowsrc="javascript:alert(1)">',
    ],
)
def test_it_neutralises_dangerous_image_sources(payload):
    html = assert_safe(payload)
    for src in srcs(html):
        assert src is None or url_scheme(src) in (None, *SAFE_SCHEMES)


@pytest.mark.parametrize(
    "payload",
    [
        "<javascript:alert(1)>",
        "<JAVASCRIPT:alert(1)>",
        "<vbscript:msgbox(1)>",
        "<data:text/html,alert(1)>",
    ],
)
def test_it_neutralises_dangerous_autolinks(payload):
    html = assert_safe(payload)
    for href in hrefs(html):
        assert href is None or url_scheme(href) in (None, *SAFE_SCHEMES)


@pytest.mark.parametrize(
    ("payload", "tag"),
    [
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', "iframe"),
        ('<object data="javascript:alert(1)"></object>', "object"),
        ('<embed src="javascript:alert(1)">', "embed"),
        ("<style>body{display:none}</style>", "style"),
        ("<style>@import 'https://evil.example/x.css';</style>", "style"),
        ('<form action="https://evil.example"><input name=pw><button>go</button></form>', "form"),
        ("<math><mtext><script>alert(1)</script></mtext></math>", "math"),
        ('<math href="javascript:alert(1)">x</math>', "math"),
        ('<link rel=stylesheet href="https://evil.example/x.css">', "link"),
        ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', "meta"),
        ('<base href="https://evil.example/">', "base"),
        ("<template><script>alert(1)</script></template>", "template"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', "noscript"),
        ("<textarea><script>alert(1)</script></textarea>", "textarea"),
        ("<xmp><script>alert(1)</script></xmp>", "xmp"),
        ('<video><source onerror="alert(1)"></video>', "video"),
        ('<button formaction="javascript:alert(1)">x</button>', "button"),
    ],
)
def test_it_removes_dangerous_elements(payload, tag):
    html = assert_safe(payload)
    assert tag not in parse_html(html).tags()


def test_it_drops_content_of_style_blocks():
    html = assert_safe("<style>.secret-rule{color:red}</style>\n\nok")
    assert "secret-rule" not in html


@pytest.mark.parametrize(
    "payload",
    [
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<span style="position:fixed;top:0;left:0;width:100%;height:100%">x</span>',
        '<a href="https://example.com" style="color:red">x</a>',
        '<img src="https://example.com/a.png" style="width:9999px">',
    ],
)
def test_it_drops_style_attributes(payload):
    html = assert_safe(payload)
    assert "style=" not in html


@pytest.mark.parametrize(
    "payload",
    [
        '<span class="admin-banner" id="login" data-x="1" tabindex="1">x</span>',
        '<code class="language-py evil">x</code>',
        '<p class="language-py">x</p>',
        '```"onmouseover=alert(1) x\ncode\n```',
        '```py" onmouseover="alert(1)\ncode\n```',
    ],
)
def test_it_only_keeps_language_classes_on_code(payload):
    html = assert_safe(payload)
    for el in parse_html(html).elements:
        assert "id" not in el.attrs
        assert "tabindex" not in el.attrs
        assert not any(name.startswith("data-") for name in el.attrs)
        if "class" in el.attrs:
            assert el.tag == "code"


@pytest.mark.parametrize(
    "payload",
    [
        "<div><p><b>unclosed <i>tags",
        "<a href='https://example.com'>unclosed link",
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
        "<<script>script>alert(1)<</script>/script>",
        "<script<script>>alert(1)</script>",
        '<img src="x" <script>alert(1)</script>',
        '<a href="https://example.com"<img src=x onerror=alert(1)>>x</a>',
        '<p><a href="javascript:alert(1)"><p>nested</a></p></p>',
        "<table><tr><td><script>alert(1)</script>",
        "<details><summary><img src=x onerror=alert(1)>",
        "<script>alert(1)",
        "<style>",
        "<svg><style><img src=x onerror=alert(1)></style></svg>",
        "<math><style><img src=x onerror=alert(1)></style></math>",
        "<select><template><style><img src=x onerror=alert(1)>",
        "<noscript><style></noscript><img src=x onerror=alert(1)>",
        "</p><script>alert(1)</script><p>",
        '<p title="</p><script>alert(1)</script>">x</p>',
    ],
)
def test_it_survives_nested_and_unclosed_tags(payload):
    assert_safe(payload)


@pytest.mark.parametrize(
    "payload",
    [
        "<!-- hidden -->visible",
        "<!-- <script>alert(1)</script> -->",
        "<!--><script>alert(1)</script>-->",
        "<!--[if IE]><script>alert(1)</script><![endif]-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<![CDATA[ ]]><img src=x onerror=alert(1)>",
        '<?xml version="1.0"?><script>alert(1)</script>',
        "<!DOCTYPE html><script>alert(1)</script>",
        "text <!-- inline comment --> text",
    ],
)
def test_it_strips_comments_cdata_and_declarations(payload):
    assert_safe(payload)


def test_it_keeps_text_after_a_stripped_comment():
    html = assert_safe("<!-- hidden -->\n\nvisible")
    assert "hidden" not in html
    assert "visible" in html


def test_it_survives_lone_surrogates_and_nul_bytes():
    assert_safe("a\ud800b \x00 <img src=x onerror=alert(1)>\udfff")


# --------------------------------------------------------------------------
# Ordinary Markdown still works
# --------------------------------------------------------------------------


def test_it_renders_tables():
    html = assert_safe("| Time | Event |\n|:-----|------:|\n| 10:02 | Pager fired |\n")
    parsed = parse_html(html)
    assert {"table", "thead", "tbody", "tr", "th", "td"} <= parsed.tags()
    assert "Pager fired" in parsed.text


def test_it_keeps_table_alignment_as_align_attributes():
    html = assert_safe("| L | C | R |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    aligns = [th.attrs.get("align") for th in parse_html(html).find("th")]
    assert aligns == ["left", "center", "right"]


def test_it_keeps_the_language_class_on_fenced_code():
    html = assert_safe("```python\nprint('<hi>')\n```\n")
    codes = parse_html(html).find("code")
    assert [c.attrs.get("class") for c in codes] == ["language-python"]
    assert "&lt;hi&gt;" in html


def test_it_renders_fenced_code_without_a_language_without_a_class():
    html = assert_safe("```\nplain\n```\n")
    assert parse_html(html).find("code")[0].attrs == {}


@pytest.mark.parametrize(
    ("markdown", "tag"),
    [
        ("# Title", "h3"),
        ("## Title", "h4"),
        ("### Title", "h5"),
        ("#### Title", "h6"),
        ("##### Title", "h6"),
        ("###### Title", "h6"),
        ("Title\n=====", "h3"),
        ("Title\n-----", "h4"),
        ("<h1>Title</h1>", "h3"),
        ('<H2 id="x">Title</H2>', "h4"),
        ("<h5>Title</h5>", "h6"),
        ("Some <h1>Title</h1> inline", "h3"),
    ],
)
def test_it_shifts_headings_two_levels_down(markdown, tag):
    parsed = parse_html(assert_safe(markdown))
    assert [e.tag for e in parsed.elements if e.tag.startswith("h")] == [tag]
    assert "Title" in parsed.text


def test_it_keeps_https_links_with_rel_nofollow_noopener():
    html = assert_safe('[status page](https://status.example.com/incidents/42 "Status")')
    (a,) = parse_html(html).find("a")
    assert a.attrs["href"] == "https://status.example.com/incidents/42"
    assert a.attrs["title"] == "Status"
    assert {"nofollow", "noopener"} <= set(a.attrs["rel"].split())


@pytest.mark.parametrize(
    "target",
    [
        "http://example.com/",
        "mailto:oncall@example.com",
        "/incidents/42/",
        "../writeup#timeline",
        "#timeline",
        "?page=2",
    ],
)
def test_it_keeps_safe_and_relative_link_targets(target):
    html = assert_safe(f"[x]({target})")
    assert hrefs(html) == [target]


def test_it_keeps_raw_html_https_links_and_adds_rel():
    html = assert_safe('<a href="https://example.com/" rel="opener">x</a>')
    (a,) = parse_html(html).find("a")
    assert a.attrs["href"] == "https://example.com/"
    assert set(a.attrs["rel"].split()) == {"nofollow", "noopener"}


def test_it_renders_autolinks_to_https():
    html = assert_safe("<https://example.com/runbook>")
    assert hrefs(html) == ["https://example.com/runbook"]


def test_it_does_not_linkify_bare_urls():
    html = assert_safe("see https://example.com/runbook")
    assert hrefs(html) == []


def test_it_keeps_https_and_relative_images():
    html = assert_safe('![graph](https://example.com/g.png "CPU") ![local](/media/x.png)')
    imgs = parse_html(html).find("img")
    assert [i.attrs.get("src") for i in imgs] == ["https://example.com/g.png", "/media/x.png"]
    assert imgs[0].attrs.get("alt") == "graph"
    assert imgs[0].attrs.get("title") == "CPU"


@pytest.mark.parametrize(
    ("markdown", "expected_text"),
    [
        ("a < b and c > d", "a < b and c > d"),
        ("x <y z", "x <y z"),
        ("5 <3 && 2 > 1", "5 <3 && 2 > 1"),
        ("`<script>alert(1)</script>`", "<script>alert(1)</script>"),
        ("\\<script>alert(1)\\</script>", "<script>alert(1)</script>"),
        ("&lt;script&gt;", "<script>"),
    ],
)
def test_it_escapes_angle_brackets_in_plain_text(markdown, expected_text):
    html = assert_safe(markdown)
    parsed = parse_html(html)
    assert parsed.text.strip() == expected_text
    assert "script" not in parsed.tags()


def test_it_renders_strikethrough_emphasis_and_lists():
    html = assert_safe("~~old~~ **bold** *em*\n\n- a\n- b\n\n3. three\n4. four\n")
    parsed = parse_html(html)
    assert {"s", "strong", "em", "ul", "ol", "li"} <= parsed.tags()
    assert parsed.find("ol")[0].attrs == {"start": "3"}


def test_it_keeps_useful_raw_html():
    html = assert_safe(
        "<details><summary>Logs</summary>\n\n<kbd>Ctrl</kbd>+<kbd>C</kbd> H<sub>2</sub>O x<sup>2</sup>\n\n</details>"
    )
    assert {"details", "summary", "kbd", "sub", "sup"} <= parse_html(html).tags()


def test_it_drops_non_numeric_ol_start():
    html = assert_safe('<ol start="1;alert(1)"><li>x</li></ol>')
    assert parse_html(html).find("ol")[0].attrs == {}


def test_it_renders_empty_input_as_empty_output():
    assert render_markdown("") == ""


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

DANGEROUS_FRAGMENTS = [
    "<", ">", "/", "\"", "'", "`", "```", "=", ":", ";", "&", "&#", "#", "(", ")",
    "[", "]", "!", "\n", "\n\n", " ", "\t", "\x00", "\r", "\\", "|", "-", "*", "~~",
    "<script>", "</script>", "<script", "alert(1)", "<img src=x", " onerror=",
    " onload=", "<svg", "<svg>", "</svg>", "<math>", "<style>", "</style>", "<iframe",
    "<object", "<embed", "<form>", "<input", "<a href=", "</a>", "<a", " href=",
    " src=", " style=", "javascript:", "JaVaScRiPt:", "java\nscript:", "java\tscript:",
    "jav&#x09;ascript:", "&#106;avascript:", "&#x6A;", "&#58;", "&colon;", "vbscript:",
    "data:", "data:text/html,", "data:image/svg+xml,", "https://example.com",
    "mailto:", "[x](", "![x](", "[x]: ", "<!--", "-->", "<![CDATA[", "]]>", "<?",
    "?>", "<!DOCTYPE", "<details>", "<summary>", "<p>", "</p>", "<table>", "<td>",
    "<code class=", "language-", "<noscript>", "<template>", "<textarea>", "<xmp>",
    "# ", "| a |\n|---|\n", "&quot;", "&lt;", "&gt;", "\u00ad", "\u200b", "\ufeff",
]  # fmt: skip

# Mostly nothing, so that plenty of generated schemes really do decode to
# "javascript:" and only the sanitizer stands between them and the output.
_SCHEME_NOISE = [""] * 150 + [
    "\t", "\n", "\r", " ", "\x0c", "\x00", "\u200b", "&shy;", "&#x09;", "&#x0A;",
    "&#9;", "&Tab;", "&NewLine;", "%09",
]  # fmt: skip


@st.composite
def obfuscated_scheme(draw) -> str:
    """'javascript:' and friends with random case, noise and entity-encoding."""
    word = draw(st.sampled_from(["javascript", "javascript", "vbscript", "data", "livescript"]))
    out = [draw(st.sampled_from(["", "", "", " ", "\x01", "\x0c", "\t"]))]
    for ch in word:
        ch = ch.upper() if draw(st.booleans()) else ch
        encoding = draw(st.sampled_from(["plain"] * 8 + ["dec", "hex"]))
        if encoding == "dec":
            ch = f"&#{ord(ch)};"
        elif encoding == "hex":
            ch = f"&#x{ord(ch):x};"
        out.append(ch)
        out.append(draw(st.sampled_from(_SCHEME_NOISE)))
    out.append(draw(st.sampled_from([":"] * 6 + ["&colon;", "&#58;", "&#x3A;"])))
    out.append(draw(st.sampled_from(["alert(1)", "text/html,<script>alert(1)</script>", ""])))
    return "".join(out)


_url_value = st.one_of(
    obfuscated_scheme(),
    obfuscated_scheme(),
    st.sampled_from(["https://example.com/", "/rel", "x", "mailto:a@b.c", ""]),
)

# Attribute/element pairs that matter, plus random noise attributes.
_HOSTILE_PAIRS = [
    ("a", "href"), ("a", "href"), ("img", "src"), ("img", "src"), ("a", "onclick"),
    ("img", "onerror"), ("svg", "onload"), ("iframe", "src"), ("p", "style"),
    ("code", "class"), ("a", "xlink:href"), ("form", "action"), ("button", "formaction"),
    ("img", "srcset"), ("object", "data"), ("details", "ontoggle"), ("span", "id"),
    ("body", "onload"), ("input", "onfocus"), ("embed", "src"), ("math", "href"),
]  # fmt: skip
_NOISE_ATTRIBUTES = ["title", "rel", "target", "class", "onmouseover", "style", "href", "src"]


def _random_case(draw, word: str) -> str:
    return word if draw(st.booleans()) else "".join(c.upper() if draw(st.booleans()) else c for c in word)


@st.composite
def hostile_tag(draw) -> str:
    tag, attr = draw(st.sampled_from(_HOSTILE_PAIRS))
    attrs = [attr] + draw(st.lists(st.sampled_from(_NOISE_ATTRIBUTES), max_size=2))
    attrs = draw(st.permutations(attrs))
    parts = [f"<{_random_case(draw, tag)}"]
    for name in attrs:
        sep = draw(st.sampled_from([" ", " ", " ", "/", "\n", "\t"]))
        value = draw(_url_value) if draw(st.integers(0, 3)) else "alert(1)"
        quote = draw(st.sampled_from(['"', '"', "'", ""]))
        parts.append(f"{sep}{_random_case(draw, name)}={quote}{value}{quote}")
    parts.append(draw(st.sampled_from([">", ">", ">x</" + tag + ">", "/>", " >", ""])))
    return "".join(parts)


@st.composite
def hostile_markdown_link(draw) -> str:
    bang = draw(st.sampled_from(["", "!"]))
    url = draw(_url_value)
    if draw(st.booleans()):
        url = f"<{url}>"
    return draw(st.sampled_from([f"{bang}[x]({url})", f"[x][r]\n\n[r]: {url}\n", f"<{url}>"]))


dangerous_text = st.lists(
    st.one_of(
        st.sampled_from(DANGEROUS_FRAGMENTS),
        st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=4),
        hostile_tag(),
        hostile_markdown_link(),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_never_renders_executable_html(text):
    assert_safe(text)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dangerous_text)
def test_dangerous_fragment_soup_never_renders_executable_html(text):
    assert_safe(text)


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])),
        max_size=50,
    )
)
def test_any_code_point_including_lone_surrogates_never_raises(text):
    assert_safe(text)


# --------------------------------------------------------------------------
# Size limit
# --------------------------------------------------------------------------


def test_text_of_exactly_the_byte_limit_is_accepted():
    assert markdown_size_error("a" * MAX_MARKDOWN_BYTES) is None


def test_text_one_byte_over_the_limit_is_refused_with_the_limit_in_the_message():
    message = markdown_size_error("a" * (MAX_MARKDOWN_BYTES + 1))
    assert message is not None
    assert "1 MB" in message or "1,000,000" in message


def test_the_limit_counts_utf8_bytes_not_characters():
    # "é" is two bytes in UTF-8: 500,000 of them fit exactly, one more doesn't.
    assert markdown_size_error("é" * 500_000) is None
    assert markdown_size_error("é" * 500_000 + "a") is not None
    assert markdown_size_error("🔥" * 250_001) is not None
    assert markdown_size_error("🔥" * 250_000) is None


def test_the_size_message_reports_the_size_and_the_limit():
    assert markdown_size_error("a" * 1_200_000) == "Section is 1.2 MB; the limit is 1 MB."


def test_small_and_empty_text_fit():
    assert markdown_size_error("") is None
    assert markdown_size_error("# hi") is None


# --------------------------------------------------------------------------
# Packaging
# --------------------------------------------------------------------------


def test_the_module_imports_without_django():
    code = (
        "import sys, retrospector.core.markdown as m; "
        "assert m.render_markdown('# x') == '<h3>x</h3>\\n'; "
        "assert not any(n == 'django' or n.startswith('django.') for n in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
