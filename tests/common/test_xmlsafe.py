"""The hardened XML entry points: the stream refuses what the tree parser refuses."""
import pytest

from common.xmlsafe import UnsafeXmlError, XmlStream, parse_xml

DOCUMENT = b'<?xml version="1.0"?>\n<root>\n<item n="1"/>\n<item n="2"/>\n<other/>\n</root>'


def test_the_stream_hands_out_each_item_and_keeps_the_rest_of_the_tree():
    stream = XmlStream(DOCUMENT, tag="item")
    seen = []
    for element in stream:
        seen.append(element.get("n"))
        element.getparent().remove(element)
    assert seen == ["1", "2"]
    assert [child.tag for child in stream.root] == ["other"]


@pytest.mark.parametrize("data, words", [
    (b'<!DOCTYPE r [<!ENTITY x "y">]><root>&x;</root>', "DOCTYPE"),
    (b"<root><item></root>", "строка 1"),
    (b"", "XML"),
    (b"<root>" + b"<item/>" * 10 + b"</root>", "слишком большой"),
])
def test_the_stream_refuses_what_the_tree_parser_refuses(data, words):
    for read in (lambda: list(XmlStream(data, tag="item", max_bytes=50)), lambda: parse_xml(data, max_bytes=50)):
        with pytest.raises(UnsafeXmlError, match=words):
            read()
