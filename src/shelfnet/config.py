"""One TOML file -> typed settings for every shelfnet service.

With no file at all shelfnet runs on embedded defaults: everything under one data folder
(SQLite catalogue, logs), unprivileged ports on loopback. A file only needs the keys it changes:

    [data]
    dir = "/var/lib/shelfnet"

    [z3950]
    host = "0.0.0.0"      # listen on every interface (the default is loopback only)
    port = 210

    [search]
    targets = "targets.toml"   # the catalogues the web page's federated search offers

    [directory]
    sync_url = "https://directory.example.org"   # AutoSync the directory at start-up
    sync_key = "..."                             # the subscription key the operator issued
    public_key = "ed25519:..."                   # the operator's signing key

The file is found at ``--config``, else ``$SHELFNET_CONFIG``, else ``./shelfnet.toml`` when it
exists. Unknown keys and wrong types are errors that name the file, section and key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

from shelfnet.ill.messaging.settings import MessagingSettings
from shelfnet.marc.quality import Weights

CONFIG_ENV = "SHELFNET_CONFIG"
DEFAULT_FILE = Path("shelfnet.toml")


class ConfigError(ValueError):
    """A configuration file that cannot be used, with where and why."""


@dataclass(frozen=True)
class DataSettings:
    dir: Path = Path("data")
    """Where embedded defaults keep their files (catalogue database, logs)."""


@dataclass(frozen=True)
class CatalogSettings:
    path: Path | None = None
    """The SQLite catalogue file; default ``<data.dir>/catalog.sqlite``."""
    url: str | None = None
    """A PostgreSQL catalogue (``postgresql://user@host/name``), used instead of ``path``."""
    database: str = "Default"
    """The database name clients search (Z39.50 database, SRU path)."""
    match_point: str = "001"
    """Field (``001``) or field and subfield (``035$a``) that identifies a record on re-import."""
    sample: bool = True
    """Load the small bundled sample catalogue when the catalogue is empty."""


@dataclass(frozen=True)
class Z3950Settings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2100
    """Z39.50's registered port is 210; below 1024 needs privileges, so the default is 2100."""
    max_connections: int = 1000
    max_message_size: int = 16 * 1024 * 1024
    """Largest APDU accepted or sent; larger declared lengths are refused before reading."""
    idle_timeout: float = 600.0
    """Seconds of silence after which a session is closed (Close: lack of activity)."""
    max_result_sets: int = 32
    """Named result sets one session may hold at once (more: Bib-1 112)."""
    users: dict[str, str] = field(default_factory=dict)
    """When not empty, only these users (user = password) may connect (idPass or open)."""


@dataclass(frozen=True)
class SruSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2101
    default_records: int = 10
    """Records per searchRetrieve when the client does not say (maximumRecords)."""
    max_records: int = 1000
    """The most records one searchRetrieve returns, whatever the client asks."""


@dataclass(frozen=True)
class WebSettings:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 2180
    """The web pages (federated search); 0 picks a free port and ``serve`` says which."""
    max_sessions: int = 100
    """Searches kept in memory at once; starting one more drops the oldest."""
    max_records_kept: int = 100_000
    """Records all kept searches may hold (about 10 kB each in memory); starting a search
    drops the oldest ones until the others hold no more."""


@dataclass(frozen=True)
class SearchSettings:
    targets: Path | None = None
    """The targets file (TOML) offered by the web page; None: the local catalogue's Z39.50
    server (or its SRU server when Z39.50 is off)."""
    timeout: float = 30.0
    """Seconds for each search and each present, per target."""
    connect_timeout: float = 10.0
    """Seconds to connect and (Z39.50) exchange Init."""
    max_records: int = 20
    """Records fetched from each target at most."""
    concurrency: int = 256
    """Targets searched at the same time (each holds one socket while it runs)."""
    score: Weights = field(default_factory=Weights)
    """The record-quality weights (``[search.score]``, see ``shelfnet.marc.quality``)."""


@dataclass(frozen=True)
class DirectorySettings:
    path: Path | None = None
    """The SQLite directory file; default ``<data.dir>/directory.sqlite``."""
    url: str | None = None
    """A PostgreSQL directory (``postgresql://user@host/name``), used instead of ``path``."""
    sync_url: str | None = None
    """The directory server AutoSync asks (``https://directory.example.org``); None: no sync."""
    sync_key: str | None = None
    """The subscription key its operator issued."""
    public_key: str | None = None
    """The operator's Ed25519 public key (``ed25519:...``) that documents must be signed with."""
    sync_every_days: int = 7
    """Days after which ``shelfnet serve`` syncs again at start-up."""


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server ILL notices go out through (``[ill.smtp]``); no host: nothing is sent."""

    host: str = ""
    """The SMTP server; empty: notices are queued but not sent."""
    port: int = 587
    """587 (submission, STARTTLS), 465 (implicit TLS) or 25."""
    security: str = "starttls"
    """``starttls``, ``ssl`` (implicit TLS) or ``none``."""
    username: str = ""
    """Sign in with this user (and ``password``); empty: no sign-in."""
    password: str = ""
    from_address: str = ""
    """The notices' From address (``ill@library.example``)."""
    timeout: float = 30.0
    """Seconds for connecting and for each SMTP command."""


@dataclass(frozen=True)
class NoticeSettings:
    """E-mail notices to patrons about their requests (``[ill.notices]``, docs/ill-notices.md)."""

    enabled: bool = False
    """Send the queued notices (they are queued whatever this says)."""
    interval: float = 60.0
    """Seconds between two rounds of the notice service (scan, overdue check, send)."""
    overdue_every_days: int = 7
    """An overdue loan gets a reminder once in every this many days."""
    library_name: str = "the library"
    """How notices name the library."""
    base_url: str = ""
    """The public address of the ILL pages (``https://ill.library.example``), for links."""
    pickup_location: str = "the interlibrary loan desk"
    """Where patrons collect loans, as notices say it."""


@dataclass(frozen=True)
class IllSettings:
    enabled: bool = True
    """The interlibrary-loan pages (patron, staff) and REST API, served by the web app."""
    path: Path | None = None
    """The SQLite ILL database; default ``<data.dir>/ill.sqlite``."""
    url: str | None = None
    """A PostgreSQL ILL database (``postgresql://user@host/name``), used instead of ``path``."""
    symbol: str = "SHELFNET"
    """This library's ILL symbol (what partners know it by)."""
    lock_minutes: int = 30
    """Minutes a request stays locked to the staff member who opened it from a queue."""
    session_hours: int = 12
    """Hours a sign-in lasts (patron and staff pages)."""
    secure_cookies: bool = False
    """Send session cookies over HTTPS only; set it whenever the pages are behind HTTPS."""
    sample: bool = True
    """Fill an empty ILL database with sample patrons, partners and requests (demo)."""
    auth: tuple[dict[str, Any], ...] = ()
    """Sign-in providers in order (``[[ill.auth]]`` tables: ``kind = "local"``, ``"ldap"``,
    ``"patronapi"``, ``"symphony"``; see docs/ill-auth.md). None: local accounts only."""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    """The mail server for notices (``[ill.smtp]``)."""
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    """E-mail notices to patrons (``[ill.notices]``)."""
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    """Messages to and from partner libraries (``[ill.messaging]``): the durable outbox for
    ISO ILL and ISO 18626; its ``symbol`` is always ``[ill] symbol``."""


@dataclass(frozen=True)
class IsoIllSettings:
    enabled: bool = True
    """The ISO ILL (ISO 10161) listener: partners' requests become lending transactions."""
    host: str = "127.0.0.1"
    port: int = 1611
    """ISO ILL's registered port."""
    max_connections: int = 200
    max_message_size: int = 1024 * 1024
    """Largest APDU accepted; larger declared lengths are answered with an error report."""
    idle_timeout: float = 300.0


@dataclass(frozen=True)
class Iso18626Settings:
    enabled: bool = True
    """The ISO 18626 endpoint (XML over HTTP), served by the web server."""
    path: str = "/iso18626"
    """Where partners POST their messages on the web server."""
    agency_type: str = "ISIL"
    """The type of our agency id (``ISIL``, ``OCLC``...); its value is ``[ill] symbol``."""
    version: str = "1.2"
    """The version of messages we start (``1.2`` or ``2021``); answers use the peer's."""


@dataclass(frozen=True)
class DeliveryConfig:
    enabled: bool = True
    """The document-delivery listener: partners send article copies (PDF, TIFF only)."""
    host: str = "127.0.0.1"
    port: int = 7968
    """The port ILLiad's Odyssey uses (shelfnet's protocol: docs/delivery-protocol.md)."""
    tls_cert: Path | None = None
    """PEM certificate chain; with ``tls_key`` the listener speaks TLS only."""
    tls_key: Path | None = None
    max_size: int = 1024 * 1024 * 1024
    """Largest document accepted, in bytes."""
    max_connections: int = 32
    idle_timeout: float = 60.0
    folder: Path | None = None
    """Where received, converted and outgoing files are kept; default ``<data.dir>/delivery``."""
    download_days: int = 30
    """Days a patron's download lasts (Article Exchange's convention: 30 days or 5 views)."""
    download_views: int = 5
    """Downloads a patron's link allows."""
    exchange_days: int = 30
    """Defaults for password links made for partners who cannot receive."""
    exchange_views: int = 5
    library: str = ""
    """Our library's name on the cover sheet."""


@dataclass(frozen=True)
class Settings:
    data: DataSettings = field(default_factory=DataSettings)
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    z3950: Z3950Settings = field(default_factory=Z3950Settings)
    sru: SruSettings = field(default_factory=SruSettings)
    web: WebSettings = field(default_factory=WebSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    directory: DirectorySettings = field(default_factory=DirectorySettings)
    ill: IllSettings = field(default_factory=IllSettings)
    isoill: IsoIllSettings = field(default_factory=IsoIllSettings)
    iso18626: Iso18626Settings = field(default_factory=Iso18626Settings)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    source: Path | None = None
    """The file these settings came from (None: embedded defaults)."""

    @property
    def catalog_path(self) -> Path:
        return self.catalog.path or self.data.dir / "catalog.sqlite"

    @property
    def catalog_location(self) -> str:
        """The catalogue to open: ``catalog.url`` when set, else the SQLite file."""
        return self.catalog.url or str(self.catalog_path)

    @property
    def directory_location(self) -> str:
        """The directory to open: ``directory.url`` when set, else the SQLite file."""
        return self.directory.url or str(self.directory.path or self.data.dir / "directory.sqlite")

    @property
    def delivery_folder(self) -> Path:
        return self.delivery.folder or self.data.dir / "delivery"

    @property
    def ill_location(self) -> str:
        """The ILL database to open: ``ill.url`` when set, else the SQLite file."""
        return self.ill.url or str(self.ill.path or self.data.dir / "ill.sqlite")


def find_config(explicit: Path | None = None) -> Path | None:
    """The configuration file to read, or None for embedded defaults."""
    if explicit is not None:
        return explicit
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else None


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path`` (see ``find_config``); relative paths are taken from its folder."""
    chosen = find_config(path)
    if chosen is None:
        return Settings()
    try:
        document = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{chosen}: not valid TOML: {exc}") from exc
    settings = _build(Settings, document, str(chosen), "")
    settings = _anchor_paths(replace(settings, source=chosen), chosen.parent)
    _check_targets_file(settings, chosen)
    _check_directory(settings.directory, chosen)
    _check_ill(settings.ill, chosen)
    _check_delivery(settings.delivery, chosen)
    return settings


def _build(cls: type[Any], table: dict[str, Any], source: str, prefix: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name != "source"}
    unknown = set(table) - known
    if unknown:
        where = f"[{prefix.rstrip('.')}] " if prefix else ""
        raise ConfigError(f"{source}: {where}unknown key(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, raw in table.items():
        expected = hints[name]
        key = f"{prefix}{name}"
        if is_dataclass(expected):
            if not isinstance(raw, dict):
                raise ConfigError(f"{source}: [{key}] must be a table")
            values[name] = _build(expected, raw, source, f"{key}.")  # type: ignore[arg-type]
        else:
            values[name] = _convert(raw, expected, source, key)
    return cls(**values)


def _convert(raw: Any, expected: Any, source: str, key: str) -> Any:
    text = str(expected)
    if "Path" in text and isinstance(raw, str):
        return Path(raw)
    if expected is bool and isinstance(raw, bool):
        return raw
    if expected is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if expected is float and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if expected in (str, str | None) and isinstance(raw, str):
        return raw
    if (
        text.startswith("tuple[int")
        and isinstance(raw, list)
        and all(isinstance(item, int) and not isinstance(item, bool) for item in raw)
    ):
        return tuple(raw)
    if (
        text.startswith("tuple[dict")
        and isinstance(raw, list)
        and all(isinstance(item, dict) for item in raw)
    ):
        return tuple(raw)
    if (
        text.startswith("dict")
        and isinstance(raw, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items())
    ):
        return dict(raw)
    raise ConfigError(f"{source}: {key} = {raw!r} is not a valid {_describe(expected)}")


def _describe(expected: Any) -> str:
    names = {bool: "true/false", int: "whole number", float: "number", str: "string"}
    return names.get(expected, str(expected).replace("pathlib.", ""))


def _anchor_paths(settings: Settings, base: Path) -> Settings:
    """Relative paths in a file mean relative to that file, not to the working directory."""
    data = replace(settings.data, dir=base / settings.data.dir)
    catalog = settings.catalog
    if catalog.path is not None:
        catalog = replace(catalog, path=base / catalog.path)
    search = settings.search
    if search.targets is not None:
        search = replace(search, targets=base / search.targets)
    directory = settings.directory
    if directory.path is not None:
        directory = replace(directory, path=base / directory.path)
    ill = settings.ill
    if ill.path is not None:
        ill = replace(ill, path=base / ill.path)
    delivery = settings.delivery
    for name in ("folder", "tls_cert", "tls_key"):
        value = getattr(delivery, name)
        if value is not None:
            delivery = replace(delivery, **{name: base / value})
    return replace(
        settings,
        data=data,
        catalog=catalog,
        search=search,
        directory=directory,
        ill=ill,
        delivery=delivery,
    )


def _check_targets_file(settings: Settings, source: Path) -> None:
    """A targets file that cannot be read is a configuration mistake: say so at start-up."""
    if settings.search.targets is None:
        return
    from shelfnet.search.targets import TargetFileError, load_targets

    try:
        load_targets(settings.search.targets)
    except TargetFileError as exc:
        raise ConfigError(f"{source}: search.targets: {exc}") from exc


def _check_directory(directory: DirectorySettings, source: Path) -> None:
    """AutoSync needs its URL, key and public key together, the key well formed."""
    given = [directory.sync_url, directory.sync_key, directory.public_key]
    if any(given) and not all(given):
        raise ConfigError(f"{source}: [directory] sync_url, sync_key and public_key go together")
    if directory.public_key is not None and not directory.public_key.startswith("ed25519:"):
        raise ConfigError(f"{source}: directory.public_key must start with 'ed25519:'")
    if directory.sync_every_days < 1:
        raise ConfigError(f"{source}: directory.sync_every_days must be 1 or more")


def _check_delivery(delivery: DeliveryConfig, source: Path) -> None:
    if (delivery.tls_cert is None) != (delivery.tls_key is None):
        raise ConfigError(f"{source}: [delivery] tls_cert and tls_key go together")
    numbers = [delivery.max_size, delivery.max_connections, delivery.download_days]
    numbers += [delivery.download_views, delivery.exchange_days, delivery.exchange_views]
    if min(numbers) < 1 or delivery.idle_timeout <= 0:
        raise ConfigError(f"{source}: [delivery] sizes, counts, days and views must be 1 or more")


def _check_ill(ill: IllSettings, source: Path) -> None:
    if ill.lock_minutes < 1 or ill.session_hours < 1:
        raise ConfigError(f"{source}: ill.lock_minutes and ill.session_hours must be 1 or more")
    if ill.auth:
        from shelfnet.ill.auth.chain import providers_from_config

        try:
            providers_from_config(ill.auth, local_lookup=lambda _username: None)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from exc


SERVICES = ("z3950", "sru", "web", "isoill", "delivery")


def only_services(settings: Settings, names: list[str]) -> Settings:
    """The settings with every service not named switched off (none named: unchanged)."""
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise ValueError(
            f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICES)}"
        )
    if not names:
        return settings
    return replace(
        settings,
        z3950=replace(settings.z3950, enabled=settings.z3950.enabled and "z3950" in names),
        sru=replace(settings.sru, enabled=settings.sru.enabled and "sru" in names),
        web=replace(settings.web, enabled=settings.web.enabled and "web" in names),
        isoill=replace(settings.isoill, enabled=settings.isoill.enabled and "isoill" in names),
        delivery=replace(
            settings.delivery, enabled=settings.delivery.enabled and "delivery" in names
        ),
    )


@dataclass(frozen=True)
class Listener:
    """One port a service listens on, as ``shelfnet ports`` prints it."""

    service: str
    protocol: str
    host: str
    port: int
    direction: str = "inbound"
    purpose: str = ""


def listeners(settings: Settings) -> list[Listener]:
    """Every port the enabled services listen on."""
    found: list[Listener] = []
    if settings.z3950.enabled:
        z = settings.z3950
        found.append(Listener("z3950", "tcp", z.host, z.port, purpose="Z39.50 catalogue search"))
    if settings.sru.enabled:
        sru = settings.sru
        found.append(
            Listener("sru", "tcp (http)", sru.host, sru.port, purpose="SRU catalogue search")
        )
    if settings.web.enabled:
        web = settings.web
        found.append(
            Listener(
                "web",
                "tcp (http)",
                web.host,
                web.port,
                purpose="web pages: federated search, directory"
                + (", ILL patron and staff pages, REST API" if settings.ill.enabled else "")
                + (
                    f", ISO 18626 at {settings.iso18626.path}"
                    if settings.ill.enabled and settings.iso18626.enabled
                    else ""
                ),
            )
        )
    if settings.isoill.enabled and settings.ill.enabled:
        iso = settings.isoill
        found.append(
            Listener("isoill", "tcp", iso.host, iso.port, purpose="ISO ILL requests from partners")
        )
    if settings.delivery.enabled and settings.ill.enabled:
        d = settings.delivery
        found.append(
            Listener(
                "delivery",
                "tcp (tls)" if d.tls_cert else "tcp",
                d.host,
                d.port,
                purpose="document delivery from partners (PDF, TIFF)",
            )
        )
    return found
