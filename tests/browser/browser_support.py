"""Browser fixtures: one headless Chromium per session, fresh contexts per test, a live server.

Deliberately not a ``conftest.py``: several test modules do ``from conftest import ...`` and mean
tests/conftest.py, which a second module named ``conftest`` would shadow. Test modules import
these fixtures by name instead.

The live server needs a transactional database: pytest-django switches the shared ``db``-based
fixtures (``people``, ``make_incident``, ``make_retrospective``) to transactional mode when a
test uses ``live_server``. A transactional test flushes every table afterwards, including the
built-in templates that a data migration created, so they are synced before each browser test
and put back after the module (for whatever runs next).
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("RETROSPECTOR_SHOTS", "/tmp/shots"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]


def _sync_builtin_templates():
    from retrospector.writeups.services import builtin_templates_sync

    builtin_templates_sync()


@pytest.fixture(scope="module", autouse=True)
def _builtin_templates_restored(builtin_templates_put_back):
    """The last test's transactional flush emptied the tables: the built-in templates are put back after the module
    (conftest's builtin_templates_put_back)."""


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Six people per test: PBKDF2's deliberate slowness would dominate the setup time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Module, not session, scope: each module imports these fixtures, so each has its
    own copy, and two session-wide copies would start a second Playwright while the first still runs."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server, people):
    """The live server with built-in templates, the shared people, and a way to open browser contexts."""
    _sync_builtin_templates()
    return live_server


class Console:
    """Console messages and page errors of every page opened in a test's contexts."""

    def __init__(self):
        self.messages: list[tuple[str, str, str]] = []  # (type, text, page url)

    def attach(self, page):
        page.on("console", lambda msg: self.messages.append((msg.type, msg.text, page.url)))
        page.on("pageerror", lambda exc: self.messages.append(("pageerror", str(exc), page.url)))

    def csp_violations(self) -> list:
        return [m for m in self.messages if "Content Security Policy" in m[1]]

    def errors(self) -> list:
        return [m for m in self.messages if m[0] in ("error", "pageerror")]


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def new_context(browser, site, console):
    """``new_context(user=None, **options)``: a fresh browser context, logged in as ``user`` when given.

    Every page it opens reports its console to ``console``; any Content Security Policy violation
    fails the test that caused it.
    """
    contexts = []

    def make(user=None, **options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("accept_downloads", True)
        context = browser.new_context(base_url=site.url, **options)
        context.set_default_timeout(10_000)
        context.on("page", console.attach)
        if user is not None:
            login_context(context, site.url, user)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert console.csp_violations() == [], f"Content Security Policy violations: {console.csp_violations()}"


def login_context(context, base_url, user):
    """Sign ``user`` in without going through the form: a real session cookie for the live server."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )


@pytest.fixture
def shot():
    """``shot(page, name)``: full-page and viewport PNGs in /tmp/shots (never in the repository)."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        # caret="initial": hiding the caret (the default) leaves an empty style="" on every input and textarea, which
        # htmx then copies onto the elements it swaps in (settling), and the page's CSP refuses inline styles.
        path = SHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, caret="initial")
        page.screenshot(path=str(SHOTS / f"{name}-viewport.png"), caret="initial")  # what is seen first, at full size
        return path

    return take
