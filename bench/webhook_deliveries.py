"""Webhook deliveries drained by one worker (the "webhook_deliveries" part of `make bench`); `python -m
bench.webhook_deliveries` (from the repository root) runs this part alone on its own throwaway database.

1,000 pending deliveries of signed JSON to one subscriber, a real HTTP server on 127.0.0.1 in a thread of the bench's
process, which checks every signature as a subscriber would; one deliver_webhooks task queued; then ONE real
`retrospector worker --batch` process drains the queue and exits. Measured: the wall-clock seconds from starting the
worker to its exit (its start-up of about a second included) and the deliveries per second; checked: all 1,000
delivered once each, every signature valid. (In the quick test, whose database a second process cannot open, the same
command runs in process.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import ROOT, log, run_alone, server_command

DELIVERIES = 1_000
SECRET = "bench-secret-0123456789abcdef"
TARGETS = {"webhook_1000_deliveries_seconds": 30}


class Subscriber:
    """A subscriber on 127.0.0.1 that verifies each delivery's signature and counts what it received."""

    def __init__(self):
        from retrospector.actions.webhooks import signature_valid

        self.count = 0
        self.bad_signatures = 0
        self.delivery_ids: set[str] = set()
        lock = threading.Lock()
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK wait

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = signature_valid(self.headers.get("Retrospector-Signature", ""), SECRET, body)
                with lock:
                    subscriber.count += 1
                    subscriber.bad_signatures += not ok
                    subscriber.delivery_ids.add(self.headers.get("Retrospector-Delivery", ""))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def build(url: str, count: int) -> int:
    """An organization of its own with one signed JSON webhook and `count` deliveries due now; the worker's queue holds
    one deliver_webhooks task (and the housekeeping chain is parked a day ahead, so that the worker runs only it)."""
    from django.db import transaction
    from django.utils import timezone

    from retrospector.accounts.services import organization_create
    from retrospector.actions.models import WebhookDelivery, WebhookSubscription
    from retrospector.actions.tasks import deliver_webhooks
    from retrospector.core.periodic import housekeeping
    from retrospector.core.secretbox import seal

    org = organization_create(name="Webhook Corp", slug="webhook-corp")
    subscription = WebhookSubscription.objects.create(organization=org, url=url, secret_encrypted=seal(SECRET))
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(
            (
                WebhookDelivery(
                    subscription=subscription,
                    event="retrospective.state_changed",
                    payload={
                        "event": "retrospective.state_changed",
                        "occurred_at": now.isoformat(),
                        "data": {
                            "retrospective": {"id": n, "title": f"Retrospective {n}", "url": f"/retrospectives/{n}/"},
                            "incident": {"id": n, "title": f"Incident {n}", "team": "payments"},
                            "from_state": "draft",
                            "to_state": "in_review",
                            "by": "alice",
                            "note": "",
                        },
                    },
                    next_attempt_at=now,
                )
                for n in range(count)
            ),
            batch_size=500,
        )
    housekeeping.using(run_after=now + timedelta(days=1)).enqueue()
    deliver_webhooks.enqueue()
    return subscription.pk


def run_worker(in_process) -> float:
    began = time.perf_counter()
    if in_process is not None:
        in_process()
    else:
        done = subprocess.run(
            [*server_command(), "worker", "--batch"],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"retrospector worker failed: {done.stderr[-2000:]}")
    return time.perf_counter() - began


def run(*, count: int = DELIVERIES, in_process=None) -> dict:
    """Django must be set up on a migrated database (the bench's throwaway one). `in_process`: a function that runs
    `retrospector worker --batch` in this process (the quick test's), instead of a worker process."""
    from retrospector.actions.models import WebhookDelivery

    worker = "retrospector worker --batch" + (", in process" if in_process is not None else "")
    with Subscriber() as subscriber:
        subscription_id = build(subscriber.url, count)
        log(f"webhooks: {count} deliveries queued; one worker: {worker}")
        seconds = run_worker(in_process)
    succeeded = WebhookDelivery.objects.filter(subscription_id=subscription_id, status="succeeded").count()
    figures = {
        "deliveries": count,
        "succeeded": succeeded,
        "received": subscriber.count,
        "received_once_each": subscriber.count == count == len(subscriber.delivery_ids),
        "bad_signatures": subscriber.bad_signatures,
        "worker": worker,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(succeeded / seconds, 1) if seconds else None,
    }
    log(f"webhooks: {succeeded}/{count} delivered in {figures['seconds']} s ({figures['deliveries_per_second']}/s)")
    all_delivered = succeeded == count and figures["received_once_each"] and not subscriber.bad_signatures
    return {
        "figures": figures,
        "targets": TARGETS,
        "observed": {"webhook_1000_deliveries_seconds": figures["seconds"]},
        "met": {
            "webhook_1000_deliveries_seconds": all_delivered
            and figures["seconds"] < TARGETS["webhook_1000_deliveries_seconds"]
        },
    }


def main() -> int:
    return run_alone(run, name="webhooks", with_data=False)


if __name__ == "__main__":
    sys.exit(main())
