"""The ``shelfnet`` program mounts only the command group it is asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from shelfnet.cli import main; main()", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _imported_after(*arguments: str) -> set[str]:
    code = (
        "import sys, atexit\n"
        "from shelfnet.cli import main\n"
        "atexit.register(lambda: print(*sorted(m for m in sys.modules "
        "if m.endswith('.commands')), file=sys.stderr))\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=60
    )
    return set(done.stderr.split())


def test_help_lists_every_command_group() -> None:
    done = _run("--help")
    assert done.returncode == 0
    assert "catalog" in done.stdout
    assert "directory" in done.stdout


@pytest.mark.parametrize("group", ["catalog", "directory"])
def test_a_group_named_is_mounted(group: str) -> None:
    done = _run(group, "--help")
    assert done.returncode == 0, done.stderr
    assert f"{group} [OPTIONS] COMMAND" in done.stdout


def test_a_top_level_command_imports_no_command_group() -> None:
    assert not _imported_after("version") & {
        "shelfnet.catalog.commands",
        "shelfnet.directory.commands",
    }


def test_one_group_does_not_import_the_other() -> None:
    imported = _imported_after("catalog", "--help")
    assert "shelfnet.catalog.commands" in imported
    assert "shelfnet.directory.commands" not in imported


def test_an_unknown_command_is_refused_with_the_full_list_mounted() -> None:
    done = _run("no-such-command")
    assert done.returncode == 2
    assert "No such command" in done.stderr
