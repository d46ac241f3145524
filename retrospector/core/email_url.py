"""EMAIL_URL: where outgoing mail goes, as one URL read by settings.py (pure Python, no Django).

    smtp://[user:password@]host[:port]        plain SMTP (port 25), e.g. a local relay
    smtp+tls://user:password@host[:port]      SMTP upgraded with STARTTLS (port 587), what most providers offer
    smtps://user:password@host[:port]         SMTP over TLS from the first byte (port 465)
    console:                                  printed on the worker's standard output (development)
    file:///var/mail/retrospector             one .log file per batch in that folder (an absolute path)

A user name or password holding `@`, `:` or `/` is written percent-encoded (`%40`, `%3A`, `%2F`). The error of a URL
that cannot work names the problem, never the password.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
SMTP_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}
FORMS = "smtp://host:port, smtp+tls://user:password@host:587, smtps://user:password@host:465, console: or file:///dir"


class EmailUrlError(ValueError):
    """A URL that names no way of sending mail; the message never holds the password."""


def email_settings(url: str) -> dict:
    """Django's EMAIL_* settings for `url` (see the module's docstring)."""
    text = url.strip()
    scheme, sep, _ = text.partition(":")
    scheme = scheme.lower()
    if not sep or not scheme:
        raise EmailUrlError(f"not a URL; use one of {FORMS}")
    if scheme == "console":
        return {"EMAIL_BACKEND": CONSOLE_BACKEND}
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise EmailUrlError("file: needs an absolute folder, such as file:///var/mail/retrospector")
        return {"EMAIL_BACKEND": FILE_BACKEND, "EMAIL_FILE_PATH": unquote(parts.path)}
    if scheme not in SMTP_SCHEMES:
        raise EmailUrlError(f"unknown scheme {scheme!r}; use one of {FORMS}")
    default_port, starttls, implicit_tls = SMTP_SCHEMES[scheme]
    parts = urlsplit(text)
    if not text[len(scheme) + 1 :].startswith("//"):
        raise EmailUrlError(f"{scheme}: needs a host, such as {scheme}://mail.example.com")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number, or out of range; the message would show the URL
        raise EmailUrlError(f"{scheme}: the port must be a number from 1 to 65535") from None
    if not host:
        raise EmailUrlError(f"{scheme}: needs a host, such as {scheme}://mail.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EmailUrlError(f"{scheme}: takes a host and a port only, nothing after them")
    if port == 0:
        raise EmailUrlError(f"{scheme}: the port must be a number from 1 to 65535")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": host,
        "EMAIL_PORT": port or default_port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": implicit_tls,
    }


def site_url(url: str) -> str:
    """The address people open the app at, as e-mails link to it: http(s)://host[:port][/prefix], no trailing slash."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"must be the address people open the app at, such as https://retro.example.com, not {url!r}")
    return text
