"""The client's address and scheme, from proxy headers only when a configured proxy sent them.

`X-Forwarded-For` and `X-Forwarded-Proto` are plain request headers: anyone can write any value
into them. They mean something only when the connection comes from a proxy of ours, which
overwrites (or appends to) them. `TRUSTED_PROXIES` lists those proxies (addresses or networks)
and `TRUSTED_PROXY_HOPS` how many of them stand in front of the portal.

`TrustedProxyMiddleware` runs first and settles the question once for the whole request:
- from anywhere else, both headers are dropped and the socket address stands;
- from a trusted proxy, `REMOTE_ADDR` becomes the address the outermost trusted proxy saw, and
  the forwarded headers are removed so that nothing later (django-auditlog, axes) reads them
  again. The scheme header stays for `SECURE_PROXY_SSL_HEADER`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

_FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
_FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def forwarded_client(remote_addr: str, forwarded_for: str, hops: int) -> str:
    """The client address: walk `forwarded_for` from the right through at most `hops` trusted
    proxies (the first of which is `remote_addr`), stopping at the first address that is not a
    proxy of ours. A malformed entry ends the walk: what lies left of it cannot be trusted."""
    client = remote_addr
    entries = [entry for entry in forwarded_for.split(",") if entry.strip()]
    for _ in range(hops):
        if not is_trusted_proxy(client) or not entries:
            break
        candidate = _parse(entries.pop())
        if candidate is None:
            break
        client = str(candidate)
    return client


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        remote = meta.get("REMOTE_ADDR", "")
        if is_trusted_proxy(remote):
            meta["REMOTE_ADDR"] = forwarded_client(remote, meta.get(_FORWARDED_FOR, ""), settings.TRUSTED_PROXY_HOPS)
        else:
            meta.pop(_FORWARDED_PROTO, None)
        meta.pop(_FORWARDED_FOR, None)
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address, as settled by TrustedProxyMiddleware (also axes' callable)."""
    return request.META.get("REMOTE_ADDR") or None
