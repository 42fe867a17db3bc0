from __future__ import annotations

import codecs

import pytest

from filters.html_decode import (
    charset_from_content_type,
    charset_from_meta,
    decode_html,
    python_codec,
    replacement_fraction,
)

CHINESE = "快速排序是一种常用的排序算法。它选择一个基准元素，把数组分成两部分，然后递归地排序。" * 3


def _page(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_labels_map_to_browser_supersets():
    assert python_codec("GB2312") == python_codec("gbk") == "gb18030"
    assert python_codec("ISO-8859-1") == python_codec("us-ascii") == "cp1252"
    assert python_codec("Shift_JIS") == "cp932"
    assert python_codec("utf8") == "utf-8"
    assert python_codec("no-such-charset") is None and python_codec(None) is None


def test_declarations_are_read():
    assert charset_from_content_type("text/html; charset=\"ISO-8859-1\"") == "cp1252"
    assert charset_from_content_type("text/html") is None
    assert charset_from_meta(b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">') == "gb18030"
    assert charset_from_meta(b"<meta charset='Windows-1251'>") == "cp1251"
    assert charset_from_meta(b'<?xml version="1.0" encoding="euc-jp"?><html>') == "euc_jp"
    assert charset_from_meta(b'<meta charset="utf-16">') == "utf-8"  # WHATWG: a meta utf-16 means utf-8


def test_gb2312_page_with_meta_only_is_correct_chinese():
    html = _page(CHINESE, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    decoded = decode_html(html.encode("gb2312"), "text/html")
    assert CHINESE in decoded.text
    assert (decoded.charset, decoded.source) == ("gb18030", "meta")


def test_http_header_wins_over_meta():
    text = "Привет, мир! Это проверка кодировки страницы. " * 5
    html = _page(text, '<meta charset="koi8-r">')
    decoded = decode_html(html.encode("cp1251"), "text/html; charset=windows-1251")
    assert text in decoded.text and decoded.source == "http"


def test_declared_one_way_encoded_another():
    # Declared UTF-8, bytes are gb2312: the declaration cannot decode them, detection finds the right codec.
    decoded = decode_html(_page(CHINESE).encode("gb2312"), "text/html; charset=utf-8")
    assert CHINESE in decoded.text and decoded.source == "detected"
    # Declared latin-1, bytes are UTF-8: valid UTF-8 beyond ASCII wins over a legacy declaration.
    decoded = decode_html(_page("naïve café, crème brûlée").encode("utf-8"), "text/html; charset=iso-8859-1")
    assert "crème brûlée" in decoded.text and decoded.source == "utf-8"


def test_detection_prefers_the_common_codec_on_ties():
    text = "Le café est très apprécié en été, à côté de la forêt où l'élève étudie. " * 10
    decoded = decode_html(_page(text).encode("latin-1"))
    assert text in decoded.text and decoded.charset == "cp1252"


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")])
def test_bom_decides(bom, codec):
    decoded = decode_html(bom + _page("grüße").encode(codec), "text/html; charset=iso-8859-1")
    assert "grüße" in decoded.text and decoded.source == "bom" and not decoded.text.startswith("\ufeff")


def test_utf16_declared_in_http_without_bom():
    decoded = decode_html(_page("hello").encode("utf-16-le"), "text/html; charset=UTF-16LE")
    assert "<p>hello</p>" in decoded.text and decoded.source == "http"


def test_ascii_keeps_the_declared_charset_and_never_raises():
    assert decode_html(b"<p>plain</p>", "text/html; charset=iso-8859-1").charset == "cp1252"
    for junk in (b"", b"\xff\xfe\xfd" * 10, bytes(range(256)) * 4):
        decode_html(junk, "text/html; charset=bogus")


def test_replacement_fraction():
    assert replacement_fraction("") == 0.0
    assert replacement_fraction("ab\ufffd\ufffd") == 0.5


def test_gb2312_page_with_a_few_bad_bytes_decodes_as_gb18030_with_replacements():
    text = "<p>" + "中文网页的正文内容，浏览器按照GB18030解码。" * 800 + "</p>"
    body = bytearray(f'<html><head><meta charset="gb2312"></head><body>{text}</body></html>'.encode("gb18030"))
    for offset in range(1000, 1000 + 12 * 2500, 2500):  # 12 bytes no GB18030 sequence starts with
        body[offset] = 0xFF
    decoded = decode_html(bytes(body))
    assert decoded.charset == "gb18030" and decoded.source == "meta"
    assert 1 <= decoded.text.count("\ufffd") <= 24 and "中文网页的正文内容" in decoded.text


def test_mislabelled_pages_decode_as_their_bytes_are():
    chinese = "<html><head><meta charset='iso-8859-1'></head><body><p>" + "数学公式与代码" * 50 + "</p></body></html>"
    assert "数学公式与代码" in decode_html(chinese.encode("utf-8")).text  # UTF-8 labelled latin-1
    russian = "<html><head><meta charset='utf-8'></head><body><p>" + "Привет, мир! Это страница. " * 60
    decoded = decode_html(russian.encode("cp1251"))  # cp1251 labelled utf-8: far too many errors to obey
    assert decoded.source == "detected" and "Привет" in decoded.text


@pytest.mark.parametrize(("label", "codec"), [("unicode-1-1-utf-8", "utf-8"), ("x-gbk", "gb18030"),
                                              ("windows-31j", "cp932"), ("hz-gb-2312", None), ("bogus", None)])
def test_whatwg_labels(label, codec):
    assert python_codec(label) == codec
