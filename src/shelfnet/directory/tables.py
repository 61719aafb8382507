"""The directory's tables, mapped with SQLAlchemy's typed ORM.

The migrations (``migrations/versions``) create these tables; a test checks that the two
agree. Enumerations are stored as their string values, times as UTC.

    targets            one row per target: address, description, status, origin, whether
                       the user edited it, and the directory version of its last change
    target_databases   its databases, in order
    target_syntaxes    record syntaxes; target_element_sets: element set names
    target_indexes     Bib-1 use attributes known to work
    target_groups      group memberships (a group exists while it has members)
    probes             probe history (not versioned: observations, not directory data)
    tombstones         keys of deleted targets with the version that deleted them
    directory_state    one row: the directory version, bumped by every change
    directory_sync     at most one row: the server version AutoSync holds, from which URL,
                       and when it last asked
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (no time zones) and
    PostgreSQL alike; stored as naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the directory stores UTC times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class TargetRow(Base):
    __tablename__ = "targets"
    __table_args__ = (
        Index("targets_by_version", "version"),
        Index("targets_by_port", "port"),
        {"sqlite_autoincrement": True},  # ids are never reused
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    protocol: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(Text)
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(Text)
    institution: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text)
    library_type: Mapped[str] = mapped_column(Text)
    charset: Mapped[str] = mapped_column(Text)
    auth_user: Mapped[str] = mapped_column(Text)
    auth_password: Mapped[str] = mapped_column(Text)
    auth_group: Mapped[str] = mapped_column(Text)
    implementation_id: Mapped[str] = mapped_column(Text)
    implementation_name: Mapped[str] = mapped_column(Text)
    implementation_version: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    locally_edited: Mapped[bool] = mapped_column(Boolean)
    modified: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(BigInteger)

    databases: Mapped[list[DatabaseRow]] = relationship(
        order_by="DatabaseRow.position", cascade="all, delete-orphan", passive_deletes=True
    )
    syntaxes: Mapped[list[SyntaxRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    element_sets: Mapped[list[ElementSetRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    indexes: Mapped[list[IndexRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    groups: Mapped[list[GroupRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


def _target_id() -> Mapped[int]:
    return mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True)


class DatabaseRow(Base):
    __tablename__ = "target_databases"
    target_id: Mapped[int] = _target_id()
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class SyntaxRow(Base):
    __tablename__ = "target_syntaxes"
    target_id: Mapped[int] = _target_id()
    name: Mapped[str] = mapped_column(String(64), primary_key=True)


class ElementSetRow(Base):
    __tablename__ = "target_element_sets"
    target_id: Mapped[int] = _target_id()
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class IndexRow(Base):
    __tablename__ = "target_indexes"
    target_id: Mapped[int] = _target_id()
    use: Mapped[int] = mapped_column(Integer, primary_key=True)


class GroupRow(Base):
    __tablename__ = "target_groups"
    __table_args__ = (Index("target_groups_by_name", "name"),)
    target_id: Mapped[int] = _target_id()
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class ProbeRow(Base):
    __tablename__ = "probes"
    __table_args__ = (Index("probes_by_target", "target_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    reachable: Mapped[bool] = mapped_column(Boolean)
    init_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    search_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    hits: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    implementation_id: Mapped[str] = mapped_column(Text)
    implementation_name: Mapped[str] = mapped_column(Text)
    implementation_version: Mapped[str] = mapped_column(Text)
    syntaxes: Mapped[str] = mapped_column(Text)
    """Space-separated record syntaxes that came back."""
    connect_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    init_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    search_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    diagnostic_set: Mapped[str | None] = mapped_column(Text, nullable=True)
    diagnostic_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diagnostic_message: Mapped[str] = mapped_column(Text)
    diagnostic_addinfo: Mapped[str] = mapped_column(Text)


class TombstoneRow(Base):
    __tablename__ = "tombstones"
    __table_args__ = (Index("tombstones_by_version", "version"),)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    deleted: Mapped[datetime] = mapped_column(UTCDateTime)


class StateRow(Base):
    __tablename__ = "directory_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class SyncRow(Base):
    __tablename__ = "directory_sync"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_version: Mapped[int] = mapped_column(BigInteger)
    url: Mapped[str] = mapped_column(Text)
    last_sync: Mapped[datetime] = mapped_column(UTCDateTime)
