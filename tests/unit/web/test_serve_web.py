"""``shelfnet serve`` runs the web page beside Z39.50 and SRU, or alone (``serve web``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from shelfnet.config import DataSettings, IllSettings, Settings, WebSettings, only_services
from shelfnet.serve import start


def test_serve_web_alone_announces_its_address_and_answers(tmp_path: Path) -> None:
    settings = replace(
        only_services(Settings(), ["web"]),
        data=DataSettings(tmp_path / "data"),
        web=WebSettings(port=0),
        ill=IllSettings(enabled=False),
    )

    async def scenario() -> tuple[list[str], int, str]:
        said: list[str] = []
        running = await start(settings, said.append)
        try:
            assert running.backend is None  # no catalogue service, no catalogue opened
            url = said[-1].split()[-1]
            async with httpx.AsyncClient() as client:
                page = await client.get(url)
        finally:
            await running.close()
        return said, page.status_code, page.text

    said, status, text = asyncio.run(scenario())
    assert len(said) == 1
    assert said[0].startswith("listening: web     http://127.0.0.1:")
    assert said[0].endswith("/")
    assert status == 200 and 'value="local catalogue"' in text
    assert not (tmp_path / "data").exists()


def test_a_web_port_in_use_is_an_os_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = blocker.sockets[0].getsockname()[1]
        settings = replace(
            only_services(Settings(), ["web"]),
            data=DataSettings(tmp_path),
            web=WebSettings(port=port),
        )
        try:
            with pytest.raises(OSError):
                await start(settings, print)
        finally:
            blocker.close()

    asyncio.run(scenario())


def test_serve_web_with_ill_loads_the_sample_and_announces_the_ill_pages(tmp_path: Path) -> None:
    settings = replace(
        only_services(Settings(), ["web"]),
        data=DataSettings(tmp_path / "data"),
        web=WebSettings(port=0),
    )

    async def scenario() -> tuple[list[str], int, int]:
        said: list[str] = []
        running = await start(settings, said.append)
        try:
            assert running.isoill is None, "serve web starts no ISO ILL listener"
            base = next(line for line in said if "/ill/" in line).split()[-2]
            async with httpx.AsyncClient() as client:
                signin = await client.get(base + "signin")
                api = await client.get(base.replace("/ill/", "/api/openapi.json"))
        finally:
            await running.close()
        return said, signin.status_code, api.status_code

    said, signin, api = asyncio.run(scenario())
    assert signin == 200 and api == 200
    assert any(line.startswith("ILL database was empty") for line in said)
    assert any(line.endswith("/staff/ (staff)") for line in said)
    accounts = (tmp_path / "data" / "ill-sample-accounts.txt").read_text(encoding="utf-8")
    assert "admin" in accounts and "mjones" in accounts
    assert (tmp_path / "data" / "ill-sample-accounts.txt").stat().st_mode & 0o077 == 0
