"""Facts about the HTTP client that more than one app needs."""

import ipaddress

from django.conf import settings


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    """The address the request came from: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies that each append
    to X-Forwarded-For, the entry the outermost proxy appended (the ones before it are whatever the client sent, so
    never trusted). An IPv6 client is its /64 network: one host usually holds a whole /64."""
    remote = request.META.get("REMOTE_ADDR", "")
    address = _parse(remote)
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = _parse(forwarded[-proxies]) or address
    if address is None:
        return remote[:100] or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def wait_in_words(seconds: int) -> str:
    """A Retry-After in words: '1 second', '45 seconds', '2 minutes' (rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def is_htmx(request) -> bool:
    """The request comes from htmx (a partial is wanted, not the whole page)."""
    return request.headers.get("HX-Request") == "true"
