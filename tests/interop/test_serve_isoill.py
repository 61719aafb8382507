"""``shelfnet serve`` runs the ISO ILL listener on the ILL database the staff pages read: a
request from yaz-illclient becomes a lending transaction there."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from shelfnet.config import (
    DataSettings,
    IllSettings,
    IsoIllSettings,
    Settings,
    only_services,
)
from shelfnet.ill.model import Partner, PartnerProtocol, ProcessType
from shelfnet.ill.store import open_ill_store
from shelfnet.ill.workflow import Status
from shelfnet.serve import start
from tests.interop.test_isoill_yaz import run_illclient, yaz_illclient

FIELDS = {
    "ill,protocol-version-num": "2",
    "ill,transaction-id,initial-requester-id,person-or-institution-symbol,institution": "ZZ-REQ",
    "ill,transaction-id,transaction-group-qualifier": "G1",
    "ill,transaction-id,transaction-qualifier": "T-42",
    "ill,item-id,title": "Giant Steps",
    "ill,item-id,author": "Coltrane, John",
    "ill,item-id,ISBN": "0306810670",
}


def test_serve_files_iso_ill_requests_as_lending_transactions(tmp_path: Path) -> None:
    yaz_illclient()  # skips, saying what to install, when it is missing
    settings = replace(
        only_services(Settings(), ["isoill"]),
        data=DataSettings(tmp_path / "data"),
        ill=IllSettings(sample=False, symbol="ZZ-US"),
        isoill=IsoIllSettings(port=0),
    )

    # The requesting library must be a known partner: strangers are refused.
    with open_ill_store(tmp_path / "data" / "ill.sqlite") as store:
        store.create_partner(
            Partner("ZZ-REQ", "Requesting library", protocol=PartnerProtocol.ISOILL)
        )

    async def scenario() -> tuple[list[str], int]:
        said: list[str] = []
        running = await start(settings, said.append)
        try:
            assert running.isoill is not None and running.web is None
            port = running.isoill.addresses[0][1]
            result = await asyncio.to_thread(run_illclient, port, FIELDS, tmp_path)
        finally:
            await running.close()
        return said, result.returncode

    said, code = asyncio.run(scenario())
    assert code == 0, "yaz-illclient saw no error"
    assert any(line.startswith("listening: ISO ILL 127.0.0.1:") for line in said)
    with open_ill_store(tmp_path / "data" / "ill.sqlite") as store:
        [item] = store.queue(Status.AWAITING_LENDING_REQUEST_PROCESSING, ProcessType.LENDING)
        transaction = store.get_transaction(item.id)
    assert transaction.partner == "ZZ-REQ"
    assert transaction.external_id == "G1/T-42"
    assert transaction.citation.title == "Giant Steps"
    assert transaction.citation.author == "Coltrane, John"
    assert transaction.citation.isbn == "0306810670"
