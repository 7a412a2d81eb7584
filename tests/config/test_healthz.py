"""/healthz: database, task worker, version."""
from datetime import timedelta

from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from offline_exchange.services import transfers


def test_healthy_without_login(client, demo):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["database"] == "ok"
    assert body["version"] == "0.1.0" and body["worker"]["tasks_waiting"] == 0


def test_waiting_tasks_without_a_worker_are_unhealthy(client, demo, settings):
    settings.EQUIPMENT_SERVICE_BACKGROUND_BUILDS = True
    transfers.transfer_prepare(device=demo["device"], full=True)
    assert client.get("/healthz").json()["worker"]["tasks_waiting"] == 1
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["status"] == "no worker is taking tasks"


def test_database_down_is_unhealthy(client, db, monkeypatch):
    from offline_exchange.services import health

    class Down:
        def cursor(self):
            raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "error: DatabaseError"
    assert "refused" not in response.content.decode()
