"""Fetching a remote JSON-LD context, when the user allows it: public addresses only, one deadline.

A page names the context's URL, so a page could make kg connect wherever it likes: to the
machine itself, the local network, or the cloud metadata address (169.254.169.254). So:

- the host's addresses are resolved first, and each must be public: loopback, private,
  link-local, multicast, unspecified and reserved addresses are refused, unless the user
  names the host (`--allow-context-host HOST`). kg connects to the address it checked, not
  to the name again, so a second DNS answer cannot swap it;
- a redirect is followed (five at most) only within the host the page named, and each
  hop is checked the same way;
- the whole fetch has one deadline: a server that sends a byte every two seconds is cut
  off at it (a timer shuts the socket down), where a timeout per read would wait forever;
- at most `max_bytes` are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse

from .errors import RemoteContextRefused

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 65536


def fetch(url: str, *, seconds: float, max_bytes: int, allowed_hosts: frozenset[str] = frozenset()) -> bytes:
    """The body of `url`, or RemoteContextRefused saying why not."""
    deadline = time.monotonic() + seconds
    named = urllib.parse.urlsplit(url).netloc.lower()
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(current)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RemoteContextRefused(f"remote context {url} could not be fetched: {current} is not an http(s) URL")
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        address = public_address(parts.hostname, port, allowed_hosts, url)
        try:
            status, location, body = _get(parts, address, port, deadline, max_bytes)
        except TimeoutError:
            raise RemoteContextRefused(
                f"remote context {url} took longer than {seconds:g} s to fetch; stopped"
            ) from None
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            raise RemoteContextRefused(f"remote context {url} could not be fetched: {exc}") from None
        if status in _REDIRECTS and location:
            target = urllib.parse.urljoin(current, location)
            if urllib.parse.urlsplit(target).netloc.lower() != named:
                raise RemoteContextRefused(
                    f"remote context {url} could not be fetched: redirect to another host ({target}) refused"
                )
            current = target
            continue
        if status != 200:
            raise RemoteContextRefused(f"remote context {url} could not be fetched: HTTP status {status}")
        if len(body) > max_bytes:
            raise RemoteContextRefused(f"remote context {url} is larger than {max_bytes} bytes")
        return body
    raise RemoteContextRefused(f"remote context {url} could not be fetched: more than {MAX_REDIRECTS} redirects")


def public_address(host: str, port: int, allowed_hosts: frozenset[str], url: str) -> str:
    """The address to connect to for `host`: the first it resolves to, when every one is
    public or the user allowed the host by name."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RemoteContextRefused(f"remote context {url} could not be fetched: cannot resolve {host}: {exc}") from None
    addresses = [entry[4][0] for entry in found]
    if host.lower().strip("[]") in allowed_hosts:
        return addresses[0]
    for text in addresses:
        kind = _not_public(ipaddress.ip_address(text.split("%")[0]))
        if kind:
            shown = host if host == text else f"{host} ({text})"
            raise RemoteContextRefused(
                f"remote context {url} refused: {shown} is a {kind} address, and kg fetches contexts only "
                f"from public ones (allow this host with --allow-context-host {host})"
            )
    return addresses[0]


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of non-public address this is (\"loopback\", \"private\"...), or None."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    for kind in ("loopback", "link_local", "multicast", "private", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-global"


def _get(parts: urllib.parse.SplitResult, address: str, port: int, deadline: float, max_bytes: int):
    """GET over a connection to `address`; (status, Location, body of at most max_bytes + 1)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    sock = socket.create_connection((address, port), timeout=remaining)
    expired = threading.Event()

    def expire() -> None:  # unblocks a read in progress, wherever http.client is in it
        expired.set()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    timer = threading.Timer(remaining, expire)
    timer.daemon = True
    timer.start()
    try:
        if parts.scheme.lower() == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=remaining)
        connection.sock = sock  # already connected to the checked address: http.client does not resolve again
        path = parts.path or "/"
        connection.request(
            "GET",
            f"{path}?{parts.query}" if parts.query else path,
            headers={"Accept": "application/ld+json, application/json", "Host": parts.netloc},
        )
        response = connection.getresponse()
        body = bytearray()
        while len(body) <= max_bytes and (chunk := response.read(min(_CHUNK, max_bytes + 1 - len(body)))):
            body += chunk
        if expired.is_set():
            raise TimeoutError
        return response.status, response.getheader("Location"), bytes(body)
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise TimeoutError from None
        raise
    finally:
        timer.cancel()
        sock.close()
