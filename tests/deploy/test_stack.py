"""The production stack of docs/deployment.md, started the way the docs start it (`deploy/stack start`), under
the attack of issue 22: 200 half-open header requests and 20 slow bodies held open against nginx while a
register does a full sync and uploads a shift, /healthz answers, and a body over the limit gets 413 from
nginx without reaching the app server. Everything on loopback; every loop bounded in count and time; every
process the test starts is stopped by the pids it wrote, and checked gone.

A control run shows the threat is real here: two half-open requests sent straight to the app server's socket
(what `--bind 0.0.0.0:8000` exposed) leave it unable to answer /healthz."""
from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import dj_database_url
import psycopg
import pytest

from backoffice.demo import DEMO_DEVICE_ID
from tests.conftest import basic

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "stack"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
VENV = Path(sys.prefix)

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (Debian package nginx; .ci/run installs it, so CI runs this test)")

HALF_OPEN, SLOW_BODIES = 200, 20
ATTACK_SECONDS = 600  # the attack stops by itself at the latest after this


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Attack:
    """Half-open header requests and slow bodies, kept open: one that nginx closes (its timeouts at work)
    is opened again, as a patient attacker would. Stops on `stop()` or after ATTACK_SECONDS."""

    def __init__(self, port: int):
        self.port = port
        self.half_open: list[socket.socket] = []
        self.slow: list[socket.socket] = []
        self.reopened = 0
        self.done = threading.Event()
        self.deadline = time.monotonic() + ATTACK_SECONDS
        self.lock = threading.Lock()
        for _ in range(HALF_OPEN):
            self.half_open.append(self._half_open())
        for _ in range(SLOW_BODIES):
            self.slow.append(self._slow_body())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setblocking(False)
        return sock

    def _half_open(self) -> socket.socket:
        sock = self._connect()
        # No login, no end of the header: the request never arrives.
        sock.send(b"POST /rt/ws/EquipmentService HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: half-open\r\n")
        return sock

    def _slow_body(self) -> socket.socket:
        sock = self._connect()
        sock.send((f"POST /rt/ws/EquipmentService HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Authorization: {basic('sync', 'sync')}\r\nContent-Type: text/xml; charset=utf-8\r\n"
                   f"Content-Length: 1000000\r\n\r\n<").encode())
        return sock

    @staticmethod
    def _closed(sock: socket.socket) -> bool:
        try:
            return sock.recv(4096) == b""  # an answer (408) or the end: either way nginx let go
        except BlockingIOError:
            return False
        except OSError:
            return True

    def _refresh(self, sockets: list[socket.socket], opener, trickle: bool) -> None:
        for n, sock in enumerate(sockets):
            if trickle:
                try:
                    sock.send(b"x")  # one byte a second: never a pause of client_body_timeout
                except OSError:
                    pass
            if self._closed(sock):
                sock.close()
                if self.reopened < 20_000:
                    sockets[n] = opener()
                    self.reopened += 1

    def _run(self) -> None:
        while not self.done.is_set() and time.monotonic() < self.deadline:
            with self.lock:
                self._refresh(self.half_open, self._half_open, trickle=False)
                self._refresh(self.slow, self._slow_body, trickle=True)
            self.done.wait(1.0)

    def open_count(self) -> int:
        with self.lock:
            return sum(not self._closed(sock) for sock in self.half_open + self.slow)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)
        for sock in self.half_open + self.slow:
            sock.close()


class Stack:
    def __init__(self, prefix: Path, port: int, database_url: str):
        self.prefix, self.port = prefix, port
        self.env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.env.update(VENV=str(VENV), PATH=f"{VENV / 'bin'}:{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "env").write_text(
            f"SECRET_KEY={uuid.uuid4().hex}{uuid.uuid4().hex}\nDATABASE_URL={database_url}\n"
            "ALLOWED_HOSTS=127.0.0.1,localhost\nEQUIPMENT_SERVICE_BACKGROUND_BUILDS=1\n")

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(STACK), *args[:1], "--prefix", str(self.prefix), *args[1:]],
                              cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)

    def pids(self) -> dict[str, int]:
        found = {}
        for name in ("nginx", "app", "worker"):
            path = self.prefix / "run" / f"{name}.pid"
            if path.exists():
                found[name] = int(path.read_text().strip())
        return found


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has finished
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read(), time.perf_counter() - started
    finally:
        connection.close()


def unix_healthz(path: Path, timeout: float) -> bytes:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return sock.recv(100)
    finally:
        sock.close()


@pytest.fixture
def database_url():
    """The stack's own database: a file in its prefix, or a database of its own on the suite's PostgreSQL."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield None
        return
    params = dj_database_url.parse(configured)
    name = f"{params['NAME']}_stack_{os.getpid()}"
    admin = dict(host=params["HOST"] or None, port=params["PORT"] or None, user=params["USER"] or None,
                 password=params["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield configured.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(**admin) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_stack_holds_against_slow_clients(database_url):
    prefix = Path(tempfile.mkdtemp(prefix="retail-stack-", dir="/tmp"))
    port = free_port()
    stack = Stack(prefix, port, database_url or f"sqlite:///{prefix}/db.sqlite3")
    started: dict[str, int] = {}
    workers: list[int] = []
    attack = None
    try:
        start = stack.run("start", "--listen", f"127.0.0.1:{port}", "--workers", "2", timeout=400)
        started = stack.pids()
        assert start.returncode == 0, start.stdout[-2000:] + start.stderr[-3000:]
        assert set(started) == {"nginx", "app", "worker"} and all(map(running, started.values()))
        workers = children(started["app"])
        # glibc keeps large buffers (price-list packages, goods blocks) out of the heap's holes in every server process.
        for pid in [started["app"], *workers, started["worker"]]:
            environ = (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0")
            assert b"MALLOC_MMAP_THRESHOLD_=131072" in environ, pid
        socket_path = prefix / "run" / "app.sock"
        # The app server listens on its unix socket only: nothing but nginx can reach it from the network.
        cmdline = (Path("/proc") / str(started["app"]) / "cmdline").read_bytes().split(b"\0")
        assert f"unix:{socket_path}".encode() in cmdline and not any(b"0.0.0.0" in part for part in cmdline)
        assert stack.run("manage", "demo_data", "--no-history").returncode == 0
        shift = prefix / "shift.xml"
        assert stack.run("manage", "demo_data", "--write-shift", str(shift)).returncode == 0

        # Control: two half-open requests straight to the app server (2 workers) and it cannot answer.
        direct = []
        for _ in range(2):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(socket_path))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            direct.append(sock)
        # Connections are taken in order: each worker holds a half-open one, the third waits in the backlog.
        with pytest.raises(socket.timeout):
            unix_healthz(socket_path, timeout=3)
        for sock in direct:
            sock.close()
        assert unix_healthz(socket_path, timeout=10).startswith(b"HTTP/1.1 200")

        baseline = time.perf_counter()
        quiet = stack.run("manage", "pos_sync", "--url", f"http://127.0.0.1:{port}/rt", "--user", "sync",
                          "--password", "sync", "--device", DEMO_DEVICE_ID, "--full")
        baseline = time.perf_counter() - baseline
        assert quiet.returncode == 0, quiet.stdout[-2000:] + quiet.stderr[-2000:]

        attack = Attack(port)
        status, body, first = get(port, "/healthz")  # a socket timeout of 5 s is the failure
        assert status == 200 and b'"ok"' in body
        synced = time.perf_counter()
        sync = stack.run("manage", "pos_sync", "--url", f"http://127.0.0.1:{port}/rt", "--user", "sync",
                         "--password", "sync", "--device", DEMO_DEVICE_ID, "--full", "--post", str(shift))
        synced = time.perf_counter() - synced
        assert sync.returncode == 0, sync.stdout[-2000:] + sync.stderr[-2000:]
        assert "Итог: обмен выполнен" in sync.stdout and "Ответ на выгрузку смены: Данные успешно загружены" in sync.stdout
        status, body, second = get(port, "/healthz")
        assert status == 200
        held = attack.open_count()
        assert held >= (HALF_OPEN + SLOW_BODIES) // 2  # the attack was in force while the register synced
        print(f"\nunder {HALF_OPEN} half-open + {SLOW_BODIES} slow bodies (held open: {held}, reopened after "
              f"nginx's timeouts: {attack.reopened}): /healthz {first * 1000:.0f} ms and {second * 1000:.0f} ms; "
              f"full sync + shift upload {synced:.1f} s (full sync alone without the attack {baseline:.1f} s)")

        # A body over the limit: 413 from nginx; the app server never sees the request.
        probe = f"oversize-{uuid.uuid4().hex}"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall((f"POST /rt/ws/EquipmentService?probe={probe} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          f"Authorization: {basic('sync', 'sync')}\r\nContent-Type: text/xml; charset=utf-8\r\n"
                          f"Content-Length: {60 * 1024 * 1024}\r\n\r\n").encode() + b"<" * 65536)
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        # nginx logs the request once it has closed the connection: wait for the line (bounded).
        for _ in range(100):
            if probe in (prefix / "log" / "nginx-access.log").read_text():
                break
            time.sleep(0.1)
        assert f"probe={probe} HTTP/1.1\" 413" in (prefix / "log" / "nginx-access.log").read_text()
        assert probe not in (prefix / "log" / "app-access.log").read_text()
        journal = stack.run("manage", "shell", "-c", "from offline_exchange.models import ExchangeJournalEntry as E; "
                            "print('journal', E.objects.filter(request_bytes__gt=50 * 1024 * 1024).count())")
        assert "journal 0" in journal.stdout, journal.stdout + journal.stderr
    finally:
        if attack is not None:
            attack.stop()
        stopped = stack.run("stop", timeout=120)
        for pid in [*started.values(), *workers]:
            if running(pid):  # the stack's stop failed: end what the test started, by pid
                os.kill(pid, 9)
        shutil.rmtree(prefix, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stderr
    assert not any(running(pid) for pid in [*started.values(), *workers])
