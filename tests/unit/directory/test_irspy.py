"""The IRSpy dump of 2010-04-20 (2,927 ZeeRex records from Index Data's IRSpy, spam and
broken records included) imports with every record accounted for, and ``shelfnet directory
ports`` on it agrees with a count of the records' ``<port>`` values made here, from the XML,
without the directory's code.

The dump lives outside the repository, in ``../shared/data/directory``; without it these
tests are skipped.
"""

from __future__ import annotations

import re
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shelfnet.directory.checks import RejectionReason
from shelfnet.directory.commands import directory_app
from shelfnet.directory.importer import ImportReport, import_paths
from shelfnet.directory.model import TargetStatus
from shelfnet.directory.store import open_store
from tests.unit.directory.conftest import STORES, fresh_location

REPO = Path(__file__).resolve().parents[3]
DUMP = REPO.parent / "shared" / "data" / "directory" / "irspy-zeerex-2010-04-20.tar.gz"
ZEEREX = "{http://explain.z3950.org/dtd/2.0/}"

pytestmark = pytest.mark.skipif(
    not DUMP.is_file(), reason=f"the IRSpy dump is not at {DUMP} (../shared/data/directory)"
)

RECORDS = 2927
IMPORTED = 2802
MERGED = 23
REJECTED = {
    RejectionReason.BAD_HOST: 92,  # fields shifted (a port as host), paths, spaces, '...04'
    RejectionReason.MARKUP: 6,  # link spam in descriptions and in serverInfo
    RejectionReason.MISSING_HOST: 2,
    RejectionReason.LOOPBACK_HOST: 1,  # IRSpy's own database, on localhost
    RejectionReason.BAD_PORT: 1,  # a host name where the port should be
}
QUARANTINED = 1255  # their five latest IRSpy probes all failed
TOP_PORTS = [(210, 1375), (2100, 454), (2200, 148), (7090, 134), (9909, 59)]


@pytest.fixture(scope="module", params=STORES)
def imported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ImportReport]]:
    location = fresh_location(request.param, tmp_path_factory.mktemp("irspy"), request)
    with open_store(location) as store:
        yield location, import_paths([DUMP], store)


def test_every_record_is_imported_merged_or_rejected_with_a_reason(
    imported: tuple[str, ImportReport],
) -> None:
    _, report = imported
    assert report.records == RECORDS
    assert (report.imported, report.added, report.merged) == (IMPORTED, IMPORTED, MERGED)
    assert dict(report.rejected_by_reason()) == REJECTED
    assert report.imported + report.merged + report.rejected == RECORDS
    assert all(rejection.where.endswith(".xml") for rejection in report.rejections)
    assert all(rejection.detail for rejection in report.rejections)


def test_merges_name_both_records(imported: tuple[str, ImportReport]) -> None:
    _, report = imported
    merge = next(m for m in report.merges if m.key == "z3950:ludvig.bibsent.no:2100/NVG01")
    assert (merge.kept, merge.merged) == (
        "records-2010-04-20/1405.xml",
        "records-2010-04-20/2215.xml",
    )


def test_directory_ports_equals_a_count_of_the_port_elements(
    imported: tuple[str, ImportReport],
) -> None:
    location, report = imported
    rejected = {rejection.where for rejection in report.rejections}
    addresses_by_port: dict[int, set[tuple[str, str, str]]] = {}
    for name, root in _records():
        if name in rejected:
            continue
        server = root.find(f"{ZEEREX}serverInfo")
        assert server is not None
        host, port, database = (
            (server.findtext(f"{ZEEREX}{tag}") or "").strip()
            for tag in ("host", "port", "database")
        )
        # A merged record is the same target as the one it merged into.
        addresses_by_port.setdefault(int(port), set()).add((host.lower(), port, database))
    expected = {port: len(addresses) for port, addresses in addresses_by_port.items()}
    assert sum(expected.values()) == IMPORTED

    result = CliRunner().invoke(directory_app, ["ports", "--directory", location])
    assert result.exit_code == 0, result.output
    shown: Counter[int] = Counter()  # a port may have a row for Z39.50 and one for SRU
    for port, count in re.findall(r"^\s*(\d+)\s+(?:Z39\.50|SRU)\s+(\d+)\s*$", result.output, re.M):
        shown[int(port)] += int(count)
    assert shown == expected
    assert sorted(expected.items(), key=lambda item: -item[1])[:5] == TOP_PORTS
    assert f"{IMPORTED} targets on {len(expected)} ports" in result.output


def test_dead_targets_come_in_quarantined(imported: tuple[str, ImportReport]) -> None:
    location, _ = imported
    with open_store(location) as store:
        quarantined = len(store.targets(status=TargetStatus.QUARANTINED))
        assert quarantined == QUARANTINED
        sample = store.targets(search="Beverly Hills Public Library")[0]
        assert len(store.probes(sample.id)) == 20


def test_no_kept_text_holds_a_tag(imported: tuple[str, ImportReport]) -> None:
    location, _ = imported
    with open_store(location) as store:
        for stored in store.targets():
            for field, text in stored.target.text_fields().items():
                assert not re.search(r"<[^\W\d_]", text), (stored.id, field, text)


def _records() -> Iterator[tuple[str, ET.Element]]:
    """Each member of the dump, parsed with the standard library (not the importer)."""
    with tarfile.open(DUMP) as archive:
        for member in archive:
            stream = archive.extractfile(member) if member.isfile() else None
            if stream is not None:
                root = ET.fromstring(stream.read())
                explain = (
                    root if root.tag == f"{ZEEREX}explain" else root.find(f".//{ZEEREX}explain")
                )
                assert explain is not None or member.name.endswith("2765.xml")
                yield member.name, explain if explain is not None else root
