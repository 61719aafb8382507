"""A catalogue is opened by file path (SQLite) or by URL (PostgreSQL), from code or settings."""

from __future__ import annotations

from pathlib import Path

from shelfnet.catalog.plansql import glob_to_regex
from shelfnet.catalog.store import Store, is_database_url, open_store
from shelfnet.config import load_settings
from shelfnet.serve import open_catalog


def test_urls_name_postgresql_and_anything_else_is_a_file() -> None:
    assert is_database_url("postgresql://shelfnet@db.example.org/catalog")
    assert is_database_url("postgres://localhost/catalog")
    assert not is_database_url("data/catalog.sqlite")
    assert not is_database_url(Path("postgresql:/odd/file"))


def test_a_path_opens_the_sqlite_store(tmp_path: Path) -> None:
    with open_store(tmp_path / "catalog.sqlite") as store:
        assert isinstance(store, Store) and store.count() == 0


def test_the_settings_url_is_used_instead_of_the_path(tmp_path: Path) -> None:
    config = tmp_path / "shelfnet.toml"
    config.write_text('[catalog]\nurl = "postgresql://shelfnet@db.example.org/catalog"\n')
    settings = load_settings(config)
    assert settings.catalog_location == "postgresql://shelfnet@db.example.org/catalog"
    config.write_text('[catalog]\npath = "cat.sqlite"\n')
    assert load_settings(config).catalog_location == str(tmp_path / "cat.sqlite")


def test_the_server_opens_the_catalogue_the_settings_name(location: str, tmp_path: Path) -> None:
    config = tmp_path / "shelfnet.toml"
    key = "url" if is_database_url(location) else "path"
    config.write_text(f'[catalog]\n{key} = "{location}"\n')
    backend = open_catalog(load_settings(config), say=lambda _line: None)
    try:
        assert backend.store.location == location and backend.store.count() > 0  # the sample
    finally:
        backend.close()


def test_glob_patterns_become_anchored_regular_expressions() -> None:
    assert glob_to_regex("*azz") == "^.*azz$"
    assert glob_to_regex("bl?e*") == "^bl.e.*$"
    assert glob_to_regex("[*]a[?]b[[]") == "^\\*a\\?b\\[$"
    assert glob_to_regex("a.b[^0-9]") == "^a\\.b[^0-9]$"
