"""The one entry point for XML from outside: no DTD, no entities, no network, no huge trees."""
from __future__ import annotations

import io

from lxml import etree

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64

# libxml2's messages are English and name its internals; a register's user reads ours. By libxml2's
# error code (lxml.etree.ErrorTypes); a code not listed gets the general words.
_SYNTAX_WORDS = {
    "ERR_DOCUMENT_EMPTY": "документ пуст или не начинается с элемента («<»)",
    "ERR_DOCUMENT_END": "после корневого элемента есть лишнее содержимое",
    "ERR_TAG_NOT_FINISHED": "документ оборван: элемент не закрыт",
    "ERR_TAG_NAME_MISMATCH": "закрывающий тег не совпадает с открывающим",
    "ERR_GT_REQUIRED": "тег не закрыт знаком «>»",
    "ERR_LT_REQUIRED": "ожидался тег («<»)",
    "ERR_NAME_REQUIRED": "недопустимое имя элемента",
    "ERR_ATTRIBUTE_NOT_STARTED": "значение атрибута должно быть в кавычках",
    "ERR_ATTRIBUTE_WITHOUT_VALUE": "у атрибута нет значения",
    "ERR_ATTRIBUTE_REDEFINED": "атрибут указан дважды",
    "ERR_LT_IN_ATTRIBUTE": "знак «<» в значении атрибута",
    "ERR_UNDECLARED_ENTITY": "ссылка на неизвестную сущность",
    "ERR_ENTITYREF_SEMICOL_MISSING": "ссылка на сущность не закрыта «;»",
    "ERR_INVALID_CHAR": "недопустимый символ",
    "ERR_INVALID_DEC_CHARREF": "недопустимая ссылка на символ",
    "ERR_INVALID_HEX_CHARREF": "недопустимая ссылка на символ",
    "ERR_INVALID_CHARREF": "недопустимая ссылка на символ",
    "ERR_INVALID_ENCODING": "байты не соответствуют кодировке документа (ожидается UTF-8)",
    "ERR_UNSUPPORTED_ENCODING": "неизвестная кодировка в объявлении XML",
    "ERR_MISPLACED_CDATA_END": "последовательность «]]>» в тексте",
    "ERR_RESERVED_XML_NAME": "объявление XML не в начале документа",
    "NS_ERR_UNDEFINED_NAMESPACE": "не объявлен префикс пространства имен",
    "ERR_INTERNAL_ERROR": "слишком глубокая вложенность или слишком большой документ",
}
_SYNTAX_NAMES = {getattr(etree.ErrorTypes, name, None): words for name, words in _SYNTAX_WORDS.items()}


def syntax_error_text(exc: etree.XMLSyntaxError) -> str:
    """A parser error in Russian, with where it is (line and column), never libxml2's own words."""
    words = _SYNTAX_NAMES.get(exc.code, "нарушена структура XML")
    line, column = (exc.position or (exc.lineno, None))[:2]
    where = f"строка {line}" + (f", столбец {column}" if column else "")
    return f"XML не читается: {where}: {words}"


class UnsafeXmlError(ValueError):
    """The document is refused before or while parsing; the message is safe to show."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        # libxml2's default caps a text node at 10 MB, and a PostDocs envelope carries a whole
        # shift as one text node. The size is bounded by max_bytes before parsing, DTDs and
        # entities are refused, and depth is checked below, so lifting the cap is safe here.
        huge_tree=True, remove_comments=True, remove_pis=True,
    )


def parse_xml(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = MAX_DEPTH) -> etree._Element:
    """Parse untrusted bytes and return the root element, or raise UnsafeXmlError."""
    data = _admitted(data, max_bytes)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(syntax_error_text(exc)) from None
    _check_root(root, max_depth)
    return root


def _admitted(data: bytes | str, max_bytes: int) -> bytes:
    """The document's bytes, refused before any parsing when too big or declaring a DOCTYPE or entities."""
    if isinstance(data, str):
        # lxml refuses a str carrying an encoding declaration; the wire is UTF-8.
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"документ слишком большой: {len(data)} байт при пределе {max_bytes}")
    head = data[:8192].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise UnsafeXmlError("объявления DOCTYPE и ENTITY не допускаются")
    return data


def _check_root(root: etree._Element | None, max_depth: int) -> None:
    """What a parsed tree is refused for: nothing in it, a DOCTYPE the head did not show, too deep."""
    if root is None:
        raise UnsafeXmlError("пустой документ")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXmlError("объявления DOCTYPE и ENTITY не допускаются")
    _check_tree(root, max_depth)


def iterparse_xml(stream, *, tag, events=("end",)):
    """Stream untrusted XML element by element, for documents too large to hold as a tree (a spreadsheet's
    sheet): the same refusals as `parse_xml` (no DTD, no entities, no network) and libxml2's own caps kept.
    The caller refuses a DOCTYPE in the head first and drops each element once read."""
    return etree.iterparse(stream, events=events, tag=tag, resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True)


class XmlStream:
    """Untrusted XML read as a stream of the elements named `tag`, each complete when it comes, for a document
    too big to hold as a tree (a shift of 100,000 checks is a tree of some 800 MB): the same refusals as
    `parse_xml` (size, DOCTYPE and entities, no network). The caller reads each element, then drops it from
    its parent; what it keeps of the tree (`root`, once the stream is read) is checked as `parse_xml` checks
    a tree. A document the stream cannot read raises UnsafeXmlError with the line, as `parse_xml` does.

    With `schema`, libxml2 validates the document against it while reading (a fault raises UnsafeXmlError,
    possibly only when the stream ends): an element handed out is only known valid once the stream is read."""

    def __init__(self, data: bytes | str, *, tag: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_depth: int = MAX_DEPTH, schema: etree.XMLSchema | None = None):
        data = _admitted(data, max_bytes)
        self.max_depth = max_depth
        self.root: etree._Element | None = None
        self._context = etree.iterparse(
            io.BytesIO(data), events=("end",), tag=tag, resolve_entities=False, no_network=True, load_dtd=False,
            dtd_validation=False, huge_tree=True, remove_comments=True, remove_pis=True, schema=schema)

    def __iter__(self):
        try:
            for _event, element in self._context:
                yield element
        except etree.XMLSyntaxError as exc:
            raise UnsafeXmlError(f"XML не читается: строка {exc.lineno}: {exc.msg}") from None
        root = self._context.root
        _check_root(root, self.max_depth)
        self.root = root


def load_schema(path) -> etree.XMLSchema:
    """An XSD of ours (a file of the product, not an upload), read with the same parser settings."""
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def _check_tree(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if isinstance(node, etree._Entity):
                raise UnsafeXmlError(f"ссылки на сущности (&{node.name};) не допускаются")
            depth += 1
            if depth > max_depth:
                raise UnsafeXmlError(f"слишком глубокая вложенность элементов (более {max_depth})")
        else:
            depth -= 1
