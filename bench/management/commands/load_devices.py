"""K simulated cash registers syncing concurrently against a running server (loopback only)."""
from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from bench import exchange as benchmarks
from bench.load import loopback, percentile, rss_mb
from equipment_service.client import EquipmentServiceClient
from equipment_service.simulator import device_sync
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.synthetic import synthetic_shift
from offline_exchange.format.versions import FORMAT_3001

MAX_DEVICES, MAX_SECONDS = 200, 3600


class Command(BaseCommand):
    help = ("Нагрузочный тест: K имитаций касс одновременно выполняют полный обмен с запущенным сервером "
            "(только адрес на этой машине); печатает p50/p95/max по операциям и число ошибок.")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8000/rt")
        parser.add_argument("--devices", type=int, default=20)
        parser.add_argument("--duration", type=float, default=60, help="seconds; every device stops by itself")
        parser.add_argument("--user", default="sync")
        parser.add_argument("--password", default="sync")
        parser.add_argument("--template-device", default="", help="device whose rule and register the simulated "
                                                                  "devices copy (default: the first device in use)")
        parser.add_argument("--checks", type=int, default=20, help="checks in the shift each cycle uploads")
        parser.add_argument("--soap12", action="store_true")
        parser.add_argument("--watch-pid", type=int, nargs="*", default=[],
                            help="server processes (and their children) whose memory is sampled during the run")

    def handle(self, *args, url, devices, duration, user, password, template_device, checks, soap12, watch_pid,
               **options):
        if not loopback(url):
            raise CommandError("Нагрузочный тест запускается только против сервера на этой машине (127.0.0.1, ::1)")
        if not 1 <= devices <= MAX_DEVICES or not 0 < duration <= MAX_SECONDS:
            raise CommandError(f"Допустимо 1–{MAX_DEVICES} устройств и до {MAX_SECONDS} с")
        try:
            ids, goods = benchmarks.load_devices_create(count=devices, template_ref=template_device)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        deadline = time.monotonic() + duration
        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        cycles = [0]
        lock = threading.Lock()

        def run(device_id: str, seed: int) -> None:
            client = EquipmentServiceClient(url, user, password, soap12=soap12)
            full = True
            n = 0
            while time.monotonic() < deadline:
                n += 1
                shift = synthetic_shift(goods=goods, checks=checks, lines=3, seed=seed * 100000 + n,
                                        opened_at=datetime(2024, 1, 1) + timedelta(days=n), shift_number=str(n))
                report = device_sync(client, device_id, full=full, post=build_sale_reports([shift], FORMAT_3001))
                full = False
                if not report.ok:
                    time.sleep(1)  # a failing server is not hammered; the error is counted below
                with lock:
                    cycles[0] += 1
                    for step in report.steps:
                        if step.ok:
                            timings[step.operation].append(step.seconds)
                        else:
                            errors.append(f"{device_id} {step.operation}: {step.note}")
            client.close()

        threads = [threading.Thread(target=run, args=(device_id, index), daemon=True)
                   for index, device_id in enumerate(ids)]
        samples: list[tuple[float, float]] = []
        started = time.monotonic()

        def sample_memory() -> None:
            while time.monotonic() < deadline:
                samples.append((time.monotonic() - started, rss_mb(watch_pid)))
                time.sleep(max(1.0, duration / 60))

        if watch_pid:
            threads.append(threading.Thread(target=sample_memory, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + 600)
        elapsed = time.monotonic() - started
        out = self.stdout.write
        out(f"{devices} devices, {elapsed:.1f} s, {cycles[0]} full sync cycles, "
            f"{sum(len(v) for v in timings.values())} calls, errors: {len(errors)}")
        out(f"{'operation':<22}{'calls':>7}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for operation in sorted(timings):
            values = timings[operation]
            out(f"{operation:<22}{len(values):>7}{statistics.median(values) * 1000:>10.1f}"
                f"{percentile(values, 95) * 1000:>10.1f}{max(values) * 1000:>10.1f}")
        if samples:
            # The first tenth is warm-up (imports, caches, connection pools); growth is measured after it.
            settled = [mb for at, mb in samples if at >= duration / 10] or [samples[-1][1]]
            out(f"server memory (RSS of {len(watch_pid)} process trees, MB): after warm-up {settled[0]:.1f}, "
                f"end {settled[-1]:.1f}, max {max(mb for _, mb in samples):.1f}, "
                f"growth after warm-up {settled[-1] - settled[0]:+.1f} ({len(samples)} samples)")
        for line in errors[:10]:
            out(f"error: {line}")
