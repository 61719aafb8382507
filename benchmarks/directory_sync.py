"""Benchmark: AutoSync of a 3,000-target directory, in full and as a 1% delta.

A directory server (uvicorn on a loopback port, in this process) publishes 3,000 made-up
targets; a client syncs them into an empty SQLite directory (a snapshot), 30 targets change
on the server (25 renamed, 5 removed), and the client syncs again (a delta), then once more
(a 304). Bytes are those of the answers' bodies as transferred (gzip); seconds run from the
request to the committed transaction, signature check included. Each round uses a new
client directory; medians over ``--rounds`` are reported.

    python benchmarks/directory_sync.py [--targets 3000] [--rounds 3] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from server_vs_zebra import machine, write_section  # noqa: E402

from shelfnet.directory.keys import issue_subscription  # noqa: E402
from shelfnet.directory.model import TargetRecord  # noqa: E402
from shelfnet.directory.store import DirectoryStore, open_store  # noqa: E402
from shelfnet.directory.syncclient import SyncReport, SyncSource, sync  # noqa: E402
from shelfnet.directory.syncserver import create_app  # noqa: E402
from tests.unit.directory.syncpeers import (  # noqa: E402
    made_up_targets,
    renamed,
    serving,
)

SECTION = "## Directory sync: 3,000 targets"
CHANGE_SHARE = 0.01


@dataclass(frozen=True)
class Round:
    full: SyncReport
    delta: SyncReport
    unchanged: SyncReport


def run(targets: int, rounds: int) -> list[Round]:
    results = []
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        key = SigningKey.generate()
        subscriptions = folder / "keys.json"
        token = issue_subscription(subscriptions, "bench", date(2099, 1, 1), datetime.now(UTC))
        with open_store(folder / "server.sqlite") as server:
            server.put_records([TargetRecord(t) for t in made_up_targets(targets)])
            with serving(create_app(server, key, subscriptions)) as url:
                source = SyncSource(url, token, key.verify_key)
                for number in range(rounds):
                    with open_store(folder / f"client{number}.sqlite") as client:
                        full = sync(client, source)
                        _change(server, targets, number)
                        delta = sync(client, source)
                        results.append(Round(full, delta, sync(client, source)))
    return results


def _change(server: DirectoryStore, targets: int, number: int) -> None:
    """1% of the targets change: five in six renamed, the others removed."""
    changes = max(1, round(targets * CHANGE_SHARE))
    stored = server.targets()[number * changes : (number + 1) * changes]
    removals = changes // 6
    server.put_records(
        [TargetRecord(renamed(s.target, f" (round {number})")) for s in stored[removals:]]
    )
    for gone in stored[:removals]:
        server.remove(gone.id)


def _pick(result: Round, which: str) -> SyncReport:
    return {"full": result.full, "delta": result.delta, "unchanged": result.unchanged}[which]


def report(results: list[Round], targets: int) -> str:
    def median_bytes(pick: str) -> int:
        return round(statistics.median(_pick(r, pick).bytes for r in results))

    def median_seconds(pick: str) -> float:
        return statistics.median(_pick(r, pick).seconds for r in results)

    first = results[0]
    changes = first.delta.updated + first.delta.removed
    lines = [
        SECTION,
        "",
        f"`python benchmarks/directory_sync.py --targets {targets} --rounds {len(results)}`: "
        "a directory server (uvicorn, loopback) and a client syncing into an empty SQLite "
        f"directory; then {changes} targets ({first.delta.updated} renamed, "
        f"{first.delta.removed} removed) change on the server and the client syncs again, "
        "then once more. Bytes are the bodies as transferred (gzip); seconds run from the "
        "request to the commit, the Ed25519 check included. Medians of "
        f"{len(results)} rounds. {machine()}.",
        "",
        "| sync | targets in the document | bytes | seconds |",
        "|---|---:|---:|---:|",
        f"| full (snapshot) | {first.full.added:,} | {median_bytes('full'):,} "
        f"| {median_seconds('full'):.2f} |",
        f"| delta (1%) | {changes:,} | {median_bytes('delta'):,} | {median_seconds('delta'):.3f} |",
        f"| unchanged (304) | 0 | {median_bytes('unchanged'):,} "
        f"| {median_seconds('unchanged'):.3f} |",
        "",
        f"The delta moves {median_bytes('full') / max(1, median_bytes('delta')):.0f} times "
        "fewer bytes than the full sync.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--append", type=Path, help="write the section into this file")
    args = parser.parse_args()
    text = report(run(args.targets, args.rounds), args.targets)
    print(text)
    if args.append:
        write_section(args.append, text, SECTION)


if __name__ == "__main__":
    main()
