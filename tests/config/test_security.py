"""Secrets, CSRF on the admin, and what never reaches the logs."""
import logging

from django.conf import settings
from django.test import Client

from tests.conftest import sample
from tests.equipment_service.soap import call


def test_no_secret_key_in_the_code():
    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    assert settings.SECRET_KEY and settings.SECRET_KEY not in source
    assert len(settings.SECRET_KEY) >= 50 and not settings.DEBUG


def test_admin_requires_login_and_csrf(demo):
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/admin/retail/retailsalesreport/").status_code == 302
    refused = browser.post("/admin/login/", {"username": "admin", "password": "admin"})
    assert refused.status_code == 403  # no CSRF token
    page = browser.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    assert browser.post("/admin/login/", {"username": "admin", "password": "admin",
                                          "csrfmiddlewaretoken": token}).status_code == 302
    assert browser.get("/admin/retail/retailsalesreport/").status_code == 200


def test_passwords_and_documents_stay_out_of_the_logs(client, sample_shop, caplog, monkeypatch):
    from retail.models import SalesReportGoodsLine
    caplog.set_level(logging.DEBUG)
    call(client, "Connect", [("DeviceID", "SAMPLE-0001")], password="Sup3r-Secret!")
    document = sample("a_sale_reports_closed_shift.xml").decode()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SalesReportGoodsLine.objects, "bulk_create", broken)
    call(client, "PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "SaleReports"), ("Document", document)],
         password="sync")
    logged = caplog.text
    assert "PostDocs" in logged or "failed" in logged  # the failure itself is logged …
    assert "Sup3r-Secret!" not in logged and "c3luYzpzeW5j" not in logged  # … never a password
    assert "046002660117252Xk" not in logged and "ExciseStamp" not in logged  # … nor the document
