"""A finished call lets go of its answer and its upload at once, not when Python's cyclic collector gets round
to spyne's contexts (`equipment_service.views._payload_drop`).

Called through Django's WSGI handler, as the app server calls it: the test client keeps its own references
to each response. With the collector saving what it finds (`DEBUG_SAVEALL`), nothing it had to find may hold
the call's package or shift."""
import base64
import gc
import io
from contextlib import contextmanager

import pytest
from django.core.wsgi import get_wsgi_application
from lxml import etree

from offline_exchange.models import Transfer
from tests.conftest import FMT_NS, sample
from tests.equipment_service.soap import ACTION, envelope


def wsgi_call(op: str, params: list[tuple[str, str]], *, user="sync", password="sync") -> bytes:
    body = envelope(op, params)
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/rt/ws/EquipmentService", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": "text/xml; charset=utf-8", "CONTENT_LENGTH": str(len(body)),
        "HTTP_SOAPACTION": f'"{ACTION.format(op)}"', "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
    }
    statuses = []
    answer = get_wsgi_application()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        content = b"".join(answer)
    finally:
        answer.close()
    assert statuses == ["200 OK"], (statuses, content[:300])
    return content


def result(content: bytes) -> str:
    return etree.fromstring(content).findtext(".//{*}return")


@contextmanager
def garbage_kept():
    """What the cyclic collector finds unreachable after the block (and only what the block left), kept."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def texts_in(objects: list, marker: str) -> list[int]:
    """The sizes of the texts (str or bytes, or an XML tree written out) holding `marker` that these objects
    are or refer to."""
    sizes = []
    for holder in objects:
        for value in gc.get_referents(holder) + [holder]:
            if isinstance(value, (etree._Element, etree._ElementTree)):
                value = etree.tostring(value)
            if isinstance(value, str) and marker in value:
                sizes.append(len(value))
            elif isinstance(value, (bytes, bytearray)) and marker.encode() in value:
                sizes.append(len(value))
    return sizes


@pytest.mark.django_db(transaction=True)
def test_a_price_list_package_is_not_left_to_the_collector(demo, device_id):
    transfer = result(wsgi_call("PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")]))
    assert Transfer.objects.filter(pk=transfer).exists()
    with garbage_kept() as garbage:
        package = result(wsgi_call("GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer),
                                                           ("Restart", "false")]))
    assert "<Good " in package
    # The call did leave cycles (spyne's contexts): the check looks at something.
    assert any(type(holder).__name__ == "WsgiMethodContext" for holder in garbage)
    assert texts_in(garbage, "<Good ") == []


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_shift_is_not_left_to_the_collector(sample_shop):
    document = sample("a_sale_reports_closed_shift.xml").decode()
    with garbage_kept() as garbage:
        answer = result(wsgi_call("PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "SaleReports"),
                                               ("Document", document)]))
    assert etree.fromstring(answer.encode()).findtext(f"{{{FMT_NS}}}IsSuccess") == "true"
    assert any(type(holder).__name__ == "WsgiMethodContext" for holder in garbage)
    # The shift's UUID is in the upload only (the answer does not repeat it).
    assert "7f3c9a10-2024-4315-8c12-000000000012" not in answer
    assert texts_in(garbage, "7f3c9a10-2024-4315-8c12-000000000012") == []
