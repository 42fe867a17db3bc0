"""URL normalisation for URL dedup: two fetches of the same page get the same key.

DeepSeekMath §2.1 dedups Common Crawl pages by URL before near-dedup; it does not say how URLs are compared.
The rules here are the conservative RFC 3986 ones (case, default port, dot segments, percent-encoding) plus
dropping the fragment and tracking parameters. Scheme and `www.` are kept: they are *usually* the same page,
and the near-dedup that follows catches the copies URL rules may not.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

# Query parameters that identify a click, never a page.
TRACKING_PARAM_PREFIXES = ("utm_",)
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_ga"}
)
DEFAULT_PORTS = {"http": 80, "https": 443}

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or query (RFC 3986 reserved + unreserved); everything else is escaped.
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _normalize_escapes(part: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, escape what may not appear raw."""
    out: list[str] = []
    i, n = 0, len(part)
    while i < n:
        ch = part[i]
        if ch == "%" and _ESCAPE.match(part, i):
            byte = int(part[i + 1 : i + 3], 16)
            out.append(chr(byte) if chr(byte) in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on whole segments."""
    segments = path.split("/")
    out: list[str] = []
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    trailing = segments[-1] in (".", "..")
    return "/" + "/".join(out) + ("/" if trailing and out else "")


def _normalize_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDN: keep it readable, it still works as a key
        return host


def _is_tracking(param: str) -> bool:
    key = param.split("=", 1)[0].lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PARAM_PREFIXES)


def normalize_url(url: str, *, drop_tracking: bool = True, sort_query: bool = True) -> str:
    """The URL-dedup key of `url`: an equivalent http(s) URL in canonical form.

    Lower-cased scheme and host (IDNA to punycode), no userinfo, no default port, no fragment, dot segments
    removed, an empty path as `/`, percent-encoding normalised, empty and tracking query parameters dropped,
    parameters sorted. Never raises; a string that is not an http(s) URL with a host comes back stripped.
    Normalising twice equals normalising once.
    """
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:  # bad IPv6 literal or port: not a URL we can reason about
        return stripped
    if scheme not in DEFAULT_PORTS or not host:
        return stripped
    host = _normalize_host(host)
    if not host:
        return stripped
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    params = [_normalize_escapes(p, _QUERY_SAFE) for p in parts.query.split("&") if p]
    if drop_tracking:
        params = [p for p in params if not _is_tracking(p)]
    if sort_query:
        params.sort()
    query = "&".join(params)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def site_host(host: str) -> str:
    """A host as the key of its site: lower-cased, IDNA as punycode, no trailing dot, no `www.`
    (`WWW.Bücher.DE.` -> `xn--bcher-kva.de`). The one spelling of a page's host: the record's `domain`
    and the recall's domain statistics and seed prefixes all use it, so they agree."""
    return _normalize_host(host).removeprefix("www.")


def url_domain(url: str) -> str:
    """The site of `url` for domain statistics (SPEC §2 "same base URL"): `site_host` of its host, no port;
    "" when `url` has no host (or is not a URL)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return site_host(host)
