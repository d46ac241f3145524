"""EMAIL_URL: each documented form gives Django's settings for it; a URL that cannot work is one sentence naming the
problem, never the password (settings.py turns it into ImproperlyConfigured, see test_checkout_settings)."""

import pytest

from retrospector.core.email_url import EmailUrlError, email_settings, site_url

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.internal", {"EMAIL_HOST": "mail.internal", "EMAIL_PORT": 25, "EMAIL_USE_TLS": False}),
        (
            "smtp+tls://retro%40example.com:p%3Ass%2Fw@smtp.example.com",
            {
                "EMAIL_HOST": "smtp.example.com",
                "EMAIL_PORT": 587,
                "EMAIL_USE_TLS": True,
                "EMAIL_USE_SSL": False,
                "EMAIL_HOST_USER": "retro@example.com",
                "EMAIL_HOST_PASSWORD": "p:ss/w",
            },
        ),
        ("smtps://u:p@smtp.example.com:2465", {"EMAIL_PORT": 2465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
        ("console:", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("file:///var/mail/retro", {"EMAIL_FILE_PATH": "/var/mail/retro"}),
    ],
)
def test_each_documented_form_gives_its_settings(url, expected):
    assert email_settings(url).items() >= expected.items()


@pytest.mark.parametrize(
    "url, message",
    [
        ("mail.example.com", "not a URL"),
        ("smpt://u:hunter22@mail", "unknown scheme 'smpt'"),
        ("smtp://u:hunter22@mail:port", "the port must be a number"),
        ("smtp://u:hunter22@mail:0", "the port must be a number"),
        ("smtp:mail", "needs a host"),
        ("smtp://u:hunter22@:25", "needs a host"),
        ("smtp://mail/x", "takes a host and a port only"),
        ("file://relative/dir", "needs an absolute folder"),
    ],
)
def test_a_url_that_cannot_work_says_why_without_the_password(url, message):
    with pytest.raises(EmailUrlError) as raised:
        email_settings(url)
    assert message in str(raised.value) and "hunter22" not in str(raised.value)


def test_the_site_url_is_kept_without_its_trailing_slash_and_must_be_http():
    assert site_url("https://retro.example.com/") == "https://retro.example.com"
    for wrong in ("retro.example.com", "ftp://retro.example.com", "https://retro.example.com/?a=1"):
        with pytest.raises(ValueError):
            site_url(wrong)
