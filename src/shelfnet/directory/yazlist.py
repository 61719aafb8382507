"""The plainest list of targets, as YAZ's tools take them: one address per line,
``host:port/db`` (``tcp:`` or ``ssl:`` may lead; port 210 and database Default when left
out) or an ``http(s)://`` SRU base URL. Blank lines and lines starting with ``#`` are
skipped. Only addresses travel this way: names and everything else stay behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from shelfnet.directory.checks import (
    Rejected,
    Rejection,
    RejectionReason,
    check_target,
    parse_address,
)
from shelfnet.directory.model import Target, TargetRecord


def write_yaz_list(targets: Iterable[Target], stream: TextIO) -> int:
    addresses = [str(target.address) for target in targets]
    stream.write(f"# shelfnet directory: {len(addresses)} targets\n")
    stream.writelines(f"{address}\n" for address in addresses)
    return len(addresses)


def read_yaz_list(data: bytes, where: str) -> Iterator[TargetRecord | Rejection]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Rejection(RejectionReason.BAD_FILE, f"not UTF-8: {exc}", where)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        place = f"{where}: line {number}"
        try:
            yield TargetRecord(check_target(Target(parse_address(line))), where=place)
        except Rejected as rejected:
            yield rejected.at(place)
