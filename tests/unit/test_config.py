"""One TOML file drives every service; mistakes name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfnet.config import ConfigError, Settings, listeners, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shelfnet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SHELFNET_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings == Settings()
    assert settings.catalog_path == Path("data/catalog.sqlite")
    assert settings.z3950.port > 1024 and settings.z3950.host == "127.0.0.1"


def test_a_file_changes_only_what_it_names(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[z3950]\nport = 210\nhost = "0.0.0.0"\n'))
    assert (settings.z3950.port, settings.z3950.host) == (210, "0.0.0.0")
    assert settings.z3950.max_result_sets == Settings().z3950.max_result_sets
    assert settings.source == tmp_path / "shelfnet.toml"


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[data]\ndir = "var"\n'))
    assert settings.catalog_path == tmp_path / "var" / "catalog.sqlite"


def test_the_environment_variable_names_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHELFNET_CONFIG", str(write(tmp_path, "[z3950]\nport = 9999\n")))
    assert load_settings().z3950.port == 9999


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[z3950]\nprot = 210\n", "unknown key(s): prot"),
        ('[z3950]\nport = "210"\n', "z3950.port = '210' is not a valid whole number"),
        ("[ill]\nport = 1611\n", "[ill] unknown key(s): port"),
        ("[z3950\nport = 1\n", "not valid TOML"),
        ("z3950 = 5\n", "[z3950] must be a table"),
        ("[z3950.users]\nalice = 7\n", "is not a valid"),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value) and "shelfnet.toml" in str(caught.value)


def test_listeners_list_the_enabled_services(tmp_path: Path) -> None:
    assert [(x.service, x.port) for x in listeners(Settings())] == [
        ("z3950", 2100),
        ("sru", 2101),
        ("web", 2180),
        ("isoill", 1611),
        ("delivery", 7968),
    ]
    disabled = load_settings(
        write(
            tmp_path,
            "[z3950]\nenabled = false\n[sru]\nenabled = false\n[web]\nenabled = false\n"
            "[isoill]\nenabled = false\n[delivery]\nenabled = false\n",
        )
    )
    assert listeners(disabled) == []


def test_serving_only_some_services() -> None:
    from shelfnet.config import only_services

    assert [x.service for x in listeners(only_services(Settings(), ["sru"]))] == ["sru"]
    assert [x.service for x in listeners(only_services(Settings(), ["web"]))] == ["web"]
    assert only_services(Settings(), []) == Settings()
    with pytest.raises(ValueError, match="unknown service"):
        only_services(Settings(), ["ftp"])


def test_the_web_page_and_its_search_have_their_own_sections(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "targets.toml").write_text(
        '[[target]]\nname = "LC"\naddress = "lx2.loc.gov:210/LCDB"\n', encoding="utf-8"
    )
    text = (
        '[web]\nport = 8080\nhost = "0.0.0.0"\n'
        '[search]\ntargets = "lists/targets.toml"\ntimeout = 5\nmax_records = 7\n'
        "[search.score]\nlc_record = 25\n"
    )
    settings = load_settings(write(tmp_path, text))
    assert (settings.web.host, settings.web.port, settings.web.enabled) == ("0.0.0.0", 8080, True)
    assert settings.search.targets == tmp_path / "lists" / "targets.toml"
    assert (settings.search.timeout, settings.search.max_records) == (5.0, 7)
    assert settings.search.score.lc_record == 25.0
    assert settings.search.score.isbn == Settings().search.score.isbn


def test_web_and_search_defaults() -> None:
    settings = Settings()
    assert (settings.web.host, settings.web.port, settings.web.enabled) == ("127.0.0.1", 2180, True)
    assert settings.search.targets is None
    assert (settings.search.timeout, settings.search.max_records) == (30.0, 20)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (None, "search.targets:"),
        ('[[target]]\nname = "x"\n', "address is missing"),
    ],
)
def test_a_targets_file_that_cannot_be_used_is_a_configuration_error(
    tmp_path: Path, targets: str | None, message: str
) -> None:
    if targets is not None:
        (tmp_path / "targets.toml").write_text(targets, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(write(tmp_path, '[search]\ntargets = "targets.toml"\n'))
    assert "shelfnet.toml" in str(caught.value)


def test_the_directory_defaults_to_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[data]\ndir = "var"\n'))
    assert settings.directory_location == str(tmp_path / "var" / "directory.sqlite")
    assert settings.directory.sync_url is None and settings.directory.sync_every_days == 7


def test_the_directory_section_names_its_store_and_its_sync(tmp_path: Path) -> None:
    text = (
        '[directory]\npath = "dir.sqlite"\nsync_url = "https://directory.example.org"\n'
        'sync_key = "k"\npublic_key = "ed25519:AAAA"\nsync_every_days = 2\n'
    )
    directory = load_settings(write(tmp_path, text)).directory
    assert directory.path == tmp_path / "dir.sqlite"
    assert (directory.sync_url, directory.sync_key, directory.public_key) == (
        "https://directory.example.org",
        "k",
        "ed25519:AAAA",
    )
    assert directory.sync_every_days == 2
    url = load_settings(write(tmp_path, '[directory]\nurl = "postgresql://u@h/d"\n'))
    assert url.directory_location == "postgresql://u@h/d"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[directory]\nsync_url = "https://d.example.org"\n', "go together"),
        (
            '[directory]\nsync_url = "https://d"\nsync_key = "k"\npublic_key = "AAAA"\n',
            "must start with 'ed25519:'",
        ),
        ("[directory]\nsync_every_days = 0\n", "sync_every_days must be 1 or more"),
    ],
)
def test_directory_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value)
