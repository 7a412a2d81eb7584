"""A store chain's registers on a schedule against a running server (loopback only): each register with its
own login and device takes its full list at start, then an incremental exchange every interval, uploading a
shift every N exchanges; a chain-wide repricing in the middle. Prints p50/p95/max per operation, the errors,
how long until every register holds the new prices, and the server's memory over the run."""
from __future__ import annotations

import statistics
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from bench import exchange as benchmarks
from bench.load import loopback, percentile, rss_mb
from equipment_service.client import EquipmentServiceClient
from equipment_service.simulator import device_sync
from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.synthetic import synthetic_shift

MAX_DEVICES, MAX_SECONDS = 200, 3600


class Command(BaseCommand):
    help = ("Нагрузка сети касс: N касс (у каждой свой пользователь и свое оборудование) по расписанию — полный "
            "прайс-лист при старте, затем обмен изменениями раз в интервал и выгрузка смены раз в 10 обменов, "
            "переоценка всей сети в середине прогона; только против сервера на этой машине.")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080/rt (the front server)")
        parser.add_argument("--devices", type=int, default=200)
        parser.add_argument("--minutes", type=float, default=10, help="the measured run, after the ramp")
        parser.add_argument("--interval", type=float, default=60,
                            help="seconds between a register's exchanges (60: real time; less: compressed time)")
        parser.add_argument("--ramp", type=float, default=None,
                            help="seconds over which the registers start (default: one interval)")
        parser.add_argument("--uploads-every", type=int, default=10, help="a shift upload every N exchanges")
        parser.add_argument("--checks", type=int, default=200, help="checks in each uploaded shift")
        parser.add_argument("--reprice-at", type=float, default=0.5,
                            help="when the chain-wide repricing runs, as a part of the measured run")
        parser.add_argument("--template-device", default=benchmarks.DEVICE_ID)
        parser.add_argument("--password", default="load-chain-password")
        parser.add_argument("--watch-pid", type=int, nargs="*", default=[],
                            help="server processes (with their children) whose memory is sampled")

    def handle(self, *args, url, devices, minutes, interval, ramp, uploads_every, checks, reprice_at,
               template_device, password, watch_pid, **options):
        ramp = interval if ramp is None else ramp
        total = ramp + minutes * 60
        if not loopback(url):
            raise CommandError("Нагрузочный тест запускается только против сервера на этой машине (127.0.0.1, ::1)")
        if not 1 <= devices <= MAX_DEVICES or not 0 < total <= MAX_SECONDS or interval <= 0 or uploads_every < 1:
            raise CommandError(f"Допустимо 1–{MAX_DEVICES} касс и до {MAX_SECONDS} с всего")
        out = self.stdout.write
        try:
            registers, goods = benchmarks.chain_registers_create(count=devices, template_ref=template_device,
                                                                 password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        formats = benchmarks.device_formats(device_id for device_id, _login in registers)
        sentinel, old_price = benchmarks.chain_sentinel()
        if old_price is None:
            raise CommandError("У товара-образца нет цены")
        new_price = f"{old_price + Decimal('1.00'):.2f}"
        timings: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        counts = {"exchanges": 0, "uploads": 0, "late": 0}
        lateness: list[float] = []
        repriced = {"at": None}
        holds: dict[str, tuple[float, int]] = {}  # register → (when it held the new prices, goods in that list)
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + total

        def register(index: int, device_id: str, login: str) -> None:
            client = EquipmentServiceClient(url, login, password)
            begin = started + ramp * index / devices
            exchange = 0
            try:
                while True:
                    due = begin + exchange * interval
                    if due >= deadline:
                        return
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    else:
                        lateness.append(-pause)
                    exchange += 1
                    post = None
                    if (exchange + index) % uploads_every == 0:
                        shift = synthetic_shift(goods=goods, checks=checks, lines=3, seed=index * 10000 + exchange,
                                                opened_at=datetime(2024, 1, 1) + timedelta(days=exchange),
                                                shift_number=str(exchange))
                        post = build_sale_reports([shift], formats[device_id])
                    # Looked for from the start: an exchange begun just before the repricing may be prepared
                    # after it, and the new price cannot appear in a list before the repricing commits.
                    looking = device_id not in holds
                    seen = {"new": False}

                    def look(root, seen=seen):
                        for good in root.iter("{*}Good"):
                            if good.get("Code") == sentinel and good.get("Price") == new_price:
                                seen["new"] = True

                    report = device_sync(client, device_id, full=exchange == 1, post=post,
                                         on_document=look if looking else None)
                    finished = time.time()
                    with lock:
                        counts["exchanges"] += 1
                        counts["uploads"] += post is not None and report.ok
                        for step in report.steps:
                            if step.ok:
                                timings[step.operation].append(step.seconds)
                            else:
                                errors.append(f"{device_id} {step.operation}: {step.note}")
                        if looking and report.ok and seen["new"]:
                            holds[device_id] = (finished, report.goods)
            finally:
                client.close()

        threads = [threading.Thread(target=register, args=(index, device_id, login), daemon=True)
                   for index, (device_id, login) in enumerate(registers)]
        samples: list[tuple[float, float]] = []

        def sample_memory() -> None:
            while time.monotonic() < deadline:
                samples.append((time.monotonic() - started, rss_mb(watch_pid)))
                time.sleep(10)

        if watch_pid:
            threads.append(threading.Thread(target=sample_memory, daemon=True))
        for thread in threads:
            thread.start()
        # The chain-wide repricing, in this process (as the back office's price change would be).
        time.sleep(max(0.0, started + ramp + minutes * 60 * reprice_at - time.monotonic()))
        changed, repriced_at = benchmarks.chain_repricing()
        repriced["at"] = repriced_at
        out(f"repricing: {changed} prices raised by 1.00 at {time.monotonic() - started:.1f} s "
            f"(sentinel code {sentinel}: {old_price} → {new_price})")
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()) + 600)
        elapsed = time.monotonic() - started

        calls = sum(len(values) for values in timings.values())
        out(f"{devices} registers, each its own login; {elapsed:.0f} s (ramp {ramp:.0f} s, then {minutes:g} min), "
            f"an exchange every {interval:g} s{' (compressed time)' if interval < 60 else ''}, a shift of {checks} "
            f"checks every {uploads_every} exchanges")
        out(f"exchanges {counts['exchanges']}, shift uploads {counts['uploads']}, calls {calls}, errors: {len(errors)}; "
            f"exchanges started late {len(lateness)} (max {max(lateness, default=0):.1f} s)")
        out(f"{'operation':<22}{'calls':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        for operation in sorted(timings):
            values = timings[operation]
            out(f"{operation:<22}{len(values):>8}{statistics.median(values) * 1000:>10.1f}"
                f"{percentile(values, 95) * 1000:>10.1f}{max(values) * 1000:>10.1f}")
        waits = sorted(when - repriced_at for when, _goods in holds.values())
        if len(holds) == devices:
            out(f"new prices: every register holds them {waits[-1]:.1f} s after the repricing (median "
                f"{statistics.median(waits):.1f} s; goods in their lists: {min(g for _w, g in holds.values())}–"
                f"{max(g for _w, g in holds.values())})")
        else:
            out(f"new prices: {len(holds)} of {devices} registers hold them by the end"
                + (f" (the last {waits[-1]:.1f} s after the repricing)" if waits else ""))
        if samples:
            settled = [mb for at, mb in samples if at >= ramp] or [samples[-1][1]]
            out(f"server memory (RSS of {len(watch_pid)} process trees, MB): after the ramp {settled[0]:.1f}, "
                f"end {settled[-1]:.1f}, max {max(mb for _, mb in samples):.1f}, growth after the ramp "
                f"{settled[-1] - settled[0]:+.1f} ({len(samples)} samples, every 10 s)")
            out("memory samples (s: MB): " + ", ".join(f"{at:.0f}: {mb:.0f}" for at, mb in samples[::6]))
        for line in errors[:10]:
            out(f"error: {line}")
