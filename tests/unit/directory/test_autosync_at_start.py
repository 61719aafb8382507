"""``shelfnet serve`` brings the directory up to date in the background when a sync server
is configured, and goes on whatever happens."""

from __future__ import annotations

import asyncio
from pathlib import Path

from nacl.signing import SigningKey

from shelfnet.config import (
    DataSettings,
    DirectorySettings,
    IllSettings,
    Settings,
    SruSettings,
    WebSettings,
    Z3950Settings,
)
from shelfnet.directory.model import Origin
from shelfnet.directory.store import open_store
from shelfnet.directory.syncformat import public_key_text
from shelfnet.serve import start
from tests.unit.directory.syncpeers import made_up_targets, server_app, serving

KEY = SigningKey(b"a" * 32)


def no_services(tmp_path: Path, directory: DirectorySettings) -> Settings:
    return Settings(
        data=DataSettings(tmp_path / "data"),
        z3950=Z3950Settings(enabled=False),
        sru=SruSettings(enabled=False),
        web=WebSettings(enabled=False),
        ill=IllSettings(enabled=False),
        directory=directory,
    )


async def started(settings: Settings) -> list[str]:
    said: list[str] = []
    running = await start(settings, said.append)
    assert running.directory_sync is not None
    await running.directory_sync
    await running.close()
    return said


def test_serve_syncs_the_directory_at_start_and_says_so(tmp_path: Path) -> None:
    with open_store(tmp_path / "server.sqlite") as server_store:
        for target in made_up_targets(5):
            server_store.add(target, origin=Origin.IMPORTED)
        app, token = server_app(server_store, tmp_path, KEY)
        with serving(app) as url:
            directory = DirectorySettings(
                sync_url=url, sync_key=token, public_key=public_key_text(KEY.verify_key)
            )
            settings = no_services(tmp_path, directory)
            said = asyncio.run(started(settings))
            assert said == [
                "directory sync: snapshot to version 5: 5 added, 0 updated, "
                "0 removed, 0 kept because edited locally"
            ]
            assert asyncio.run(started(settings)) == []  # synced a moment ago: not due
    with open_store(settings.directory_location) as local:
        assert len(local.targets()) == 5


def test_a_failing_sync_is_one_line_and_start_up_goes_on(tmp_path: Path) -> None:
    directory = DirectorySettings(
        sync_url="http://127.0.0.1:9", sync_key="k", public_key=public_key_text(KEY.verify_key)
    )
    said = asyncio.run(started(no_services(tmp_path, directory)))
    assert len(said) == 1
    assert said[0].startswith("directory sync: http://127.0.0.1:9")
    assert said[0].endswith("; keeping the directory as it is")


def test_no_sync_url_means_no_sync(tmp_path: Path) -> None:
    async def run() -> None:
        running = await start(no_services(tmp_path, DirectorySettings()), print)
        assert running.directory_sync is None
        await running.close()

    asyncio.run(run())
