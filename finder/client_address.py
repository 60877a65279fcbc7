"""Who is asking: the client address behind trusted proxies, as the key of sign-in and report limits.

A browser session, a cookie or anything else the browser keeps can be thrown away for free (a reload, a
private window), so limits that must hold are keyed on the address the request came from. Behind a
reverse proxy every request comes from the proxy; its ``X-Forwarded-For`` header names the client, but a
client can write that header too, so it is read only when the operator says which proxies to trust
(:attr:`finder.settings.Settings.trusted_proxies`, ``FINDER_TRUSTED_PROXIES``):

- empty or ``0`` (default): trust no header; the key is the connection's own address;
- a number ``N``: the app is reachable only through ``N`` proxies; the client is the ``N``-th address
  from the right of ``X-Forwarded-For`` (every proxy appends the address it saw);
- addresses or networks (``10.0.0.5, 172.17.0.0/16``): when the connection comes from one of them, walk
  ``X-Forwarded-For`` from the right past the trusted ones; the first other address is the client.

IPv6 clients are keyed on their ``/64`` network: one household or server usually gets a whole ``/64``
and can pick a new address in it for every request. The key is an address, never stored as such: the
corrections database keeps only a keyed hash of it (:class:`finder.corrections.CorrectionStore`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LOCAL", "UNKNOWN", "TrustedProxies", "client_address", "parse_trusted_proxies"]

#: Key of a connection without an address from outside: the same machine (Streamlit reports loopback
#: connections as no address) or a test without a browser.
LOCAL = "local"
#: Key of a connection whose address cannot be read (all such clients share one limit).
UNKNOWN = "unknown"
#: IPv6 clients are grouped by this prefix length (see the module docstring).
IPV6_PREFIX = 64
#: Most proxies an operator can name by number; more hops are a misconfiguration.
MAX_PROXY_HOPS = 10

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


@dataclass(frozen=True)
class TrustedProxies:
    """Which ``X-Forwarded-For`` entries to believe: a number of hops, or the proxies' networks.

    Attributes
    ----------
    hops
        The app is reached through exactly this many proxies (0 = read no header).
    networks
        The proxies' addresses or networks (used when ``hops`` is 0).
    """

    hops: int = 0
    networks: tuple[_Network, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any forwarded header is read at all."""
        return bool(self.hops or self.networks)

    def trusts(self, address: _Address) -> bool:
        """Whether ``address`` is one of the named proxies."""
        return any(address.version == net.version and address in net for net in self.networks)


def parse_trusted_proxies(text: str) -> TrustedProxies:
    """Read ``FINDER_TRUSTED_PROXIES``: empty/``0``, a number of hops, or comma-separated addresses/networks.

    Parameters
    ----------
    text
        The setting as written.

    Returns
    -------
    TrustedProxies
        What to trust.

    Raises
    ------
    ValueError
        If the text is neither a number from 0 to :data:`MAX_PROXY_HOPS` nor a list of addresses or
        networks (the message says which part).

    Examples
    --------
    >>> parse_trusted_proxies("").active
    False
    >>> parse_trusted_proxies("1").hops
    1
    >>> [str(n) for n in parse_trusted_proxies("10.0.0.5, 172.17.0.0/16").networks]
    ['10.0.0.5/32', '172.17.0.0/16']
    """
    text = text.strip()
    if not text:
        return TrustedProxies()
    if text.isascii() and text.isdigit():
        hops = int(text)
        if hops > MAX_PROXY_HOPS:
            msg = f"FINDER_TRUSTED_PROXIES: at most {MAX_PROXY_HOPS} proxies, not {hops}"
            raise ValueError(msg)
        return TrustedProxies(hops=hops)
    networks = []
    for part in text.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            msg = f"FINDER_TRUSTED_PROXIES: {part.strip()!r} is neither a number of proxies nor an address"
            raise ValueError(msg) from None
    return TrustedProxies(networks=tuple(networks))


def _address(text: str | None) -> _Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.5:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone ("%eth0")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # "::ffff:203.0.113.5" is the IPv4 client 203.0.113.5
    return address


def _key(address: _Address) -> str:
    if address.is_loopback:
        return LOCAL
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def _hops(forwarded_for: Iterable[str]) -> list[str]:
    # A header may be sent several times; together they form one list, left (client) to right (last proxy).
    return [hop.strip() for value in forwarded_for for hop in str(value).split(",") if hop.strip()]


def client_address(
    peer: str | None, forwarded_for: Iterable[str] = (), trusted: TrustedProxies | None = None
) -> str:
    """The key of the client behind a connection: an IPv4 address, an IPv6 ``/64``, or :data:`LOCAL`.

    Parameters
    ----------
    peer
        The connection's address as the server saw it (``st.context.ip_address``: ``None`` for a loopback
        connection or when there is no browser).
    forwarded_for
        The values of the ``X-Forwarded-For`` headers (read only when ``trusted`` says so).
    trusted
        Which proxies to believe (default: none).

    Returns
    -------
    str
        The key; a malformed forwarded entry falls back to the last address that could be trusted.

    Examples
    --------
    >>> client_address("203.0.113.5", ["198.51.100.7"])  # the header is not trusted by default
    '203.0.113.5'
    >>> client_address("10.0.0.5", ["1.2.3.4, 198.51.100.7"], TrustedProxies(hops=1))
    '198.51.100.7'
    >>> client_address("2001:db8:1:2:aaaa::1")
    '2001:db8:1:2::/64'
    >>> client_address(None)
    'local'
    """
    trusted = trusted or TrustedProxies()
    # Streamlit reports a loopback connection as no address at all.
    own = _address(peer) if peer is not None else _LOOPBACK
    fallback = _key(own) if own is not None else UNKNOWN
    if not trusted.active:
        return fallback
    hops = _hops(forwarded_for)
    if trusted.hops:
        # The n-th entry from the right was written by the outermost proxy; anything left of it was sent by
        # the client and proves nothing.
        chosen = hops[-trusted.hops] if len(hops) >= trusted.hops else (hops[0] if hops else None)
        address = _address(chosen)
        return _key(address) if address is not None else fallback
    if own is None or not trusted.trusts(own):
        return fallback  # not from a proxy we know: its header is the client's own claim
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return fallback
        if not trusted.trusts(address):
            return _key(address)
    return fallback
