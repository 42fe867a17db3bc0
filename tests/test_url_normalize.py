from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.url_normalize import normalize_url, url_domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM:80/a/./b/../c?b=2&a=1#frag", "http://www.example.com/a/c?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://user:pw@example.com/", "https://example.com/"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("http://x.com/%7euser/%2f%41?q=a%2fb", "http://x.com/~user/%2FA?q=a%2Fb"),
        ("http://x.com/a b?q=1&&utm_source=news&fbclid=abc", "http://x.com/a%20b?q=1"),
        ("http://x.com/..%2E/../", "http://x.com/"),
        ("  http://x.com/p  ", "http://x.com/p"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize("url", ["mailto:a@b.c", "dns:example.com", "not a url", "", "http://[::1", "http://a:99999/"])
def test_non_http_or_broken_urls_come_back_stripped(url):
    assert normalize_url(f" {url} ") == url


def test_same_page_spellings_share_a_key():
    spellings = [
        "https://docs.example.org/python/binary-search.html",
        "https://DOCS.Example.org:443/python/./binary-search.html#intro",
        "https://docs.example.org/python/x/../binary-search.html?utm_campaign=x",
    ]
    assert len({normalize_url(u) for u in spellings}) == 1
    # Scheme and www. are kept: near-dedup catches those copies, URL rules stay conservative.
    assert normalize_url("http://example.org/") != normalize_url("https://example.org/")
    assert normalize_url("https://www.example.org/") != normalize_url("https://example.org/")


def test_query_options():
    url = "http://x.com/?b=1&a=2&utm_medium=m"
    assert normalize_url(url, sort_query=False) == "http://x.com/?b=1&a=2"
    assert normalize_url(url, drop_tracking=False) == "http://x.com/?a=2&b=1&utm_medium=m"


def test_url_domain():
    assert url_domain("https://WWW.Example.com:8080/x") == "example.com"
    assert url_domain("http://math.stackexchange.com/q/1") == "math.stackexchange.com"
    assert url_domain("not a url") == ""
    assert url_domain("http://[::1") == ""


_URL_CHARS = st.sampled_from(list("aZ09-._~:/?#[]@!$&'()*+,;=% \t\u00e9\u4e2d\ud800") + ["%2e", "%2F", "..", "//"])
_URLS = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "HTTPS", "ftp", "http"]),
        st.text(st.sampled_from(list("abcXYZ09.-:[]@%\u00fc")), max_size=20),
        st.lists(_URL_CHARS, max_size=30).map("".join),
    ),
)


@settings(max_examples=400, deadline=None)
@given(_URLS)
def test_normalize_never_raises_and_is_idempotent(url):
    once = normalize_url(url)
    assert normalize_url(once) == once
    url_domain(url)


@settings(max_examples=200, deadline=None)
@given(st.text(st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)), max_size=80))
def test_normalize_any_string_never_raises_and_is_idempotent(text):
    """Any code point, lone surrogates (from a lenient decoder) included."""
    once = normalize_url(text)
    assert normalize_url(once) == once


_SEGMENT = st.text(st.sampled_from(list("abcxyz019-_~")), min_size=1, max_size=6)
_PARAM = st.tuples(st.text(st.sampled_from(list("abkq")), min_size=1, max_size=3),
                   st.text(st.sampled_from(list("xyz12")), max_size=3))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.lists(_SEGMENT, min_size=1, max_size=3),  # host labels
    st.lists(_SEGMENT, max_size=4),  # path segments
    st.lists(_PARAM, max_size=4, unique_by=lambda kv: kv[0]),
    st.randoms(use_true_random=False),
)
def test_equivalent_spellings_get_one_key(scheme, labels, segments, params, rnd):
    """Spellings of one page that RFC 3986 (and tracking junk) make equivalent all normalise to one key."""
    host, path = ".".join(labels) + ".example", "/" + "/".join(segments)
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    shuffled = params[:]
    rnd.shuffle(shuffled)
    port = {"http": 80, "https": 443}[scheme]
    variants = [
        f"{scheme.upper()}://{host.upper()}:{port}{path}" + (f"?{query}" if query else "") + "#section",
        f"{scheme}://{host}/./{path.lstrip('/')}" + "?" + "&".join([*(f"{k}={v}" for k, v in shuffled), "utm_source=x"]),
        f"{scheme}://user:secret@{host}.{path}" + (f"?{query}&" if query else ""),
        f"{scheme}://{host}" + "".join(f"%{ord(c):02x}" if c in "az~" else c for c in path)  # escaped unreserved
        + (f"?{query}" if query else ""),
    ]
    key = normalize_url(url)
    for variant in variants:
        assert normalize_url(variant) == key, variant


def test_one_spelling_of_a_pages_host():
    """The record's `domain` and the recall's page location agree: trailing dot dropped, IDNA punycoded."""
    from classifiers.recall_selection import parse_prefix, url_location

    for url in ("http://Example.COM./a", "https://www.example.com:443/a"):
        assert url_domain(url) == url_location(url)[0] == "example.com"
    assert url_domain("http://Bücher.de/x") == "xn--bcher-kva.de"
    assert url_location("Bücher.DE./x") == ("xn--bcher-kva.de", "/x")
    assert parse_prefix("www.Bücher.de/x", "web") == ("xn--bcher-kva.de", "/x")
