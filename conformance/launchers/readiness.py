"""Waiting for a started server to be ready: a real answer from every listener, within a deadline.

Ready means `GET /system` answers with JSON and every DICOM listener (the main server, then each
tenant — CFG-8) answers C-ECHO with Success. Listeners are polled in turn with short, growing pauses
between rounds; a listener that answered is not asked again. Each round first asks `alive()` whether
the server process still runs, so a server that died is reported at once with its reason instead of
after the whole deadline. On timeout the error names every listener that never answered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

PROBE_AET = "MTDICOM-PROBE"
SUCCESS = 0x0000
_FIRST_PAUSE_S = 0.02
_MAX_PAUSE_S = 0.25
_PROBE_TIMEOUT_S = 2.0
_MIN_PROBE_TIMEOUT_S = 0.2


class ReadinessError(RuntimeError):
    """The server did not become ready (died, or some listener never answered before the deadline)."""


@dataclass(frozen=True)
class Listener:
    """A DICOM listener to probe: its AET (used as called AET) and loopback port."""

    aet: str
    port: int


def fetch_system(http_url: str, timeout_s: float = 2.0) -> dict[str, Any] | None:
    """`GET /system` as a dict, or None if nothing (or no JSON object) answers yet."""
    try:
        answer = requests.get(f"{http_url}/system", timeout=timeout_s)
    except requests.RequestException:
        return None
    if answer.status_code != 200:
        return None
    try:
        body = answer.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def echo_status(listener: Listener, timeout_s: float = 2.0, host: str = "127.0.0.1") -> int | None:
    """The status of one C-ECHO to the listener, or None if no association could be made."""
    ae = AE(ae_title=PROBE_AET)
    ae.add_requested_context(Verification)
    ae.acse_timeout = timeout_s
    ae.dimse_timeout = timeout_s
    ae.network_timeout = timeout_s
    ae.connection_timeout = timeout_s
    with _quiet_pynetdicom:
        assoc = ae.associate(host, listener.port, ae_title=listener.aet)
        if not assoc.is_established:
            return None
        try:
            status = assoc.send_c_echo()
        finally:
            assoc.release()
    if status is None or "Status" not in status:
        return None
    return int(status.Status)


def wait_ready(
    http_url: str,
    listeners: Mapping[str, Listener],
    deadline_s: float,
    alive: Callable[[], str | None] = lambda: None,
    on_round: Callable[[frozenset[str]], None] = lambda pending: None,
) -> dict[str, Any]:
    """Block until `/system` and every listener answer; return the `/system` body.

    `alive()` returns None while the server runs, else why it is not running. `on_round(pending)` is
    called after each polling round with the names not ready yet (tests use it to act mid-wait).
    """
    give_up = time.monotonic() + deadline_s
    system: dict[str, Any] | None = None
    pending = dict(listeners)
    pause = _FIRST_PAUSE_S
    while True:
        reason = alive()
        if reason is not None:
            raise ReadinessError(f"the server cannot become ready: {reason}")
        if system is None:
            system = fetch_system(http_url)
        if system is not None:
            for name, listener in list(pending.items()):
                probe_timeout = min(_PROBE_TIMEOUT_S, max(_MIN_PROBE_TIMEOUT_S, give_up - time.monotonic()))
                if echo_status(listener, probe_timeout) == SUCCESS:
                    del pending[name]
        if system is not None and not pending:
            return system
        missing = frozenset(pending) | (frozenset() if system is not None else frozenset({"GET /system"}))
        on_round(missing)
        if time.monotonic() >= give_up:
            raise ReadinessError(
                f"not ready after {deadline_s:.0f} s: no answer from {', '.join(sorted(missing))}"
            )
        time.sleep(pause)  # a pause between polls of real answers, bounded by the deadline above
        pause = min(pause * 2, _MAX_PAUSE_S)


class _QuietPynetdicom:
    """Silence pynetdicom's connection-refused errors while polling (they are expected).

    Reference-counted, so overlapping probes from several threads restore the level only once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_level = logging.NOTSET

    def __enter__(self) -> None:
        with self._lock:
            logger = logging.getLogger("pynetdicom")
            if self._depth == 0:
                self._saved_level = logger.level
                logger.setLevel(logging.CRITICAL)
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                logging.getLogger("pynetdicom").setLevel(self._saved_level)


_quiet_pynetdicom = _QuietPynetdicom()


def spec_listeners(main_aet: str, dicom_port: int, tenants: Mapping[str, int]) -> dict[str, Listener]:
    """The listeners to probe: the main server first, then each tenant (by AET)."""
    found = {f"main DICOM server {main_aet}": Listener(main_aet, dicom_port)}
    found.update({f"tenant {aet}": Listener(aet, port) for aet, port in tenants.items()})
    return found
