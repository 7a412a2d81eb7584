"""The raw upload's download: the file name never carries the device's DocType as sent."""
import pytest
from django.urls import reverse

from offline_exchange.models import ExchangeJournalEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("doc_type", ['x.html', 'a"; filename=evil.html', "../../etc/passwd", "Отчет\r\nSet-Cookie: a=b"])
def test_download_file_name_is_sanitized(admin_client, doc_type):
    entry = ExchangeJournalEntry.objects.create(operation="PostDocs", status="ok", doc_type=doc_type[:40],
                                                document=b"<SaleReports/>")
    answer = admin_client.get(reverse("admin:offline_exchange_exchangejournalentry_document", args=[entry.pk]))
    disposition = answer["Content-Disposition"]
    name = disposition.split('filename="', 1)[1].rstrip('"')
    assert name.endswith(".xml") and name.count(".") == 1 and "/" not in name and '"' not in name
    assert set(name) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
    assert answer["X-Content-Type-Options"] == "nosniff" and answer.content == b"<SaleReports/>"
