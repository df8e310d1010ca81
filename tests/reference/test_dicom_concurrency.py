"""ISO-1: tenant isolation holds while the main server stores and labels change concurrently, and a
listener serves several associations at once."""

from __future__ import annotations

import threading
from typing import Any

from pydicom import Dataset

from reference.dicom.status import Status
from reference.rules.levels import Level
from reference.server import ReferenceServer

READS = 15


def study_query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    return ds


def test_isolation_under_concurrent_stores_and_labels(srv: ReferenceServer, net: Any) -> None:
    archive = srv.archive
    assert archive is not None
    seeded = net.seed(srv, [net.instance(1, study, 1, 1) for study in range(1, 9)])
    allowed: set[str] = set()  # studies that ever carried "a": the only ones TEN_A may ever see
    lock = threading.Lock()
    for item in seeded[:4]:
        allowed.add(str(item.ds.StudyInstanceUID))
        archive.add_label(Level.STUDY, item.ids[Level.STUDY], "a")
    errors: list[str] = []

    def store_through_main() -> None:
        for n in range(20):
            result = net.client(srv, net.MAIN_AET).store(net.instance(2, 100 + n, 1, 1))
            if result.final_status != Status.SUCCESS:
                errors.append(f"main store: {result.describe()}")

    def relabel() -> None:
        for n in range(40):
            item = seeded[n % len(seeded)]
            study_id = item.ids[Level.STUDY]
            archive.add_label(Level.STUDY, study_id, "b")
            archive.remove_label(Level.STUDY, study_id, "b")
            if n % 10 == 9:  # label a new study "a": record it as allowed first
                newcomer = net.ids_of(net.instance(2, 100 + n // 10, 1, 1))[Level.STUDY]
                if archive.get(Level.STUDY, newcomer) is not None:
                    with lock:
                        allowed.add(f"1.2.826.0.1.2.{100 + n // 10}")
                    archive.add_label(Level.STUDY, newcomer, "a")

    def read() -> None:
        for _ in range(READS):
            result = net.client(srv, "TEN_A").find(study_query())
            if result.final_status != Status.SUCCESS:
                errors.append(f"find: {result.describe()}")
                continue
            seen = {str(answer.StudyInstanceUID) for answer in result.matches}
            with lock:
                leaked = seen - allowed
            if leaked:
                errors.append(f"TEN_A saw {sorted(leaked)}")

    workers = [threading.Thread(target=store_through_main), threading.Thread(target=relabel),
               threading.Thread(target=read), threading.Thread(target=read)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    final = net.client(srv, "TEN_A").find(study_query())
    assert {str(a.StudyInstanceUID) for a in final.matches} == allowed


def test_concurrent_associations_on_one_listener(srv: ReferenceServer, net: Any) -> None:
    net.seed(srv, [net.instance(1, 1, 1, 1)])
    statuses: list[int | None] = []

    def echo_and_find() -> None:
        client = net.client(srv, "TEN_EMPTY")
        statuses.append(client.echo().final_status)
        statuses.append(client.find(study_query()).final_status)

    workers = [threading.Thread(target=echo_and_find) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert statuses == [Status.SUCCESS] * 16
