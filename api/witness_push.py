"""``dantin serve --witness URL``: the server asks its witnesses to cosign each new checkpoint.

C2SP tlog-witness has the log reach out to its witnesses when it produces a checkpoint. One
thread of the server does so: every ``interval`` seconds it publishes a checkpoint of the whole
log if it grew (as ``dantin witness push`` does), and pushes the newest published checkpoint
to each witness that has not yet cosigned it (``ledger.tlog_witness.push_checkpoint``, which
stores each cosignature after checking it against the witness body's enrolled key). A witness
that refuses or cannot be reached is retried later, waiting twice as long each time (up to
``MAX_BACKOFF_S``); each outcome is one JSON log line (``witness_push``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import httpx

from api.logs import FIELDS
from ledger.application import Ledger
from ledger.tlog_witness import push_to
from ledger.witness import Policy

log = logging.getLogger("dantin.witness_push")
MAX_BACKOFF_S = 300.0


class WitnessPusher:
    def __init__(self, ledger: Ledger, urls: Sequence[str], policy: Policy, interval: float = 10.0) -> None:
        self.ledger, self.urls, self.policy, self.interval = ledger, list(urls), policy, interval
        #: url → the checkpoint size it last cosigned, through us
        self.cosigned: dict[str, int] = {}
        #: url → (monotonic time before which it is not asked again, the current wait)
        self._backoff: dict[str, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dantin-witness-push", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with httpx.Client(timeout=30, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    self.round(client)
                except Exception:  # the loop must outlive a bad round; the next one retries
                    log.exception("witness push round failed", extra={FIELDS: {"event": "witness_push_round"}})
                self._stop.wait(self.interval)

    def round(self, client: httpx.Client) -> None:
        """Publish a checkpoint if the log grew, and push the newest one to each witness due."""
        self.ledger.publish_checkpoint()
        row = self.ledger.checkpoint()
        if row is None:
            return
        now = time.monotonic()
        for url in self.urls:
            if self.cosigned.get(url, -1) >= row.size or self._backoff.get(url, (0.0, 0.0))[0] > now:
                continue
            outcome = {"event": "witness_push", "size": row.size} | push_to(self.ledger, url, client,
                                                                              policy=self.policy)
            if not outcome["ok"]:
                wait = min(MAX_BACKOFF_S, max(self.interval, self._backoff.get(url, (0.0, 0.0))[1] * 2))
                self._backoff[url] = (now + wait, wait)
                log.warning("witness push failed", extra={FIELDS: outcome | {"retry_in_s": wait}})
                continue
            self._backoff.pop(url, None)
            self.cosigned[url] = row.size
            log.info("witness push", extra={FIELDS: outcome})


__all__ = ["WitnessPusher"]
