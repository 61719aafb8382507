"""``shelfnet directory ...`` commands, driven through Typer's test runner."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from shelfnet.directory.commands import directory_app
from tests.unit.directory.records import IRSPY_STATUS, zeerex

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(directory_app, list(args))
    return result.exit_code, result.output


def test_add_list_show_edit_remove(location: str) -> None:
    at = ("--directory", location)
    code, output = run(
        "add", "lx2.loc.gov:210/LCDB", "--name", "Library of Congress", "--syntax", "usmarc",
        "--syntax", "xml", "--index", "4", "--group", "national", "--country", "United States",
        "--password", "secret", *at,
    )  # fmt: skip
    assert code == 0 and "added target 1: Library of Congress" in output
    assert run("add", "http://sru.example.org/cat", "--name", "Our SRU", *at)[0] == 0

    code, output = run("list", *at)
    assert code == 0 and "Library of Congress" in output and "http://sru.example.org/cat" in output
    assert "local" in output

    code, output = run("show", "lx2.loc.gov:210/LCDB", *at)
    assert code == 0 and "usmarc;xml" in output and "United States" in output
    assert "secret" not in output and "(set)" in output and "no probe results" in output

    code, output = run("edit", "1", "--set", "name=LC", "--set", "status=quarantined", *at)
    assert code == 0 and "target 1 is now: LC" in output
    code, output = run("list", "--status", "quarantined", *at)
    assert "LC" in output and "edited" in output and "Our SRU" not in output
    assert run("list", "--search", "nothing like it", *at)[0] == 1

    code, output = run("remove", "1", *at)
    assert code == 0 and "removed target 1: LC" in output
    assert run("show", "1", *at) == (2, "error: no target 1\n")


def test_bad_input_is_a_usage_error(tmp_path: Path) -> None:
    at = ("--directory", str(tmp_path / "d.sqlite"))
    assert run("list", *at)[0] == 2  # no directory yet
    code, output = run("add", "x.example.org:abc/db", *at)
    assert code == 2 and "not a number" in output
    code, output = run("add", "x.example.org:210/db", "--name", "<b>x</b>", *at)
    assert code == 2 and "HTML or script" in output
    assert run("add", "x.example.org:210/db", *at)[0] == 0
    code, output = run("add", "X.example.org:210/db", *at)
    assert code == 2 and "already has the address" in output
    code, output = run("edit", "1", "--set", "colour=blue", *at)
    assert code == 2 and "unknown field" in output
    code, output = run("edit", "1", "--set", "nonsense", *at)
    assert code == 2 and "FIELD=VALUE" in output
    code, output = run("show", "nowhere.example.org:1/x", *at)
    assert code == 2 and "no target at" in output


def test_groups(location: str) -> None:
    at = ("--directory", location)
    for address in ("a.example.org:210/x", "b.example.org:210/y"):
        run("add", address, *at)
    code, output = run("groups", "add", "music", "1", "b.example.org:210/y", *at)
    assert code == 0 and "2 targets added to music" in output
    code, output = run("groups", *at)
    assert code == 0 and "music" in output and "2" in output
    assert "1 targets removed from music" in run("groups", "remove", "music", "1", *at)[1]
    code, output = run("list", "--group", "music", *at)
    assert "b.example.org" in output and "a.example.org" not in output


def test_import_ports_and_export(location: str, tmp_path: Path) -> None:
    at = ("--directory", location)
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "1.xml").write_bytes(zeerex(host="z.example.org", port="2100", status=IRSPY_STATUS))
    (folder / "2.xml").write_bytes(zeerex(host="Z.EXAMPLE.ORG", port="2100"))
    (folder / "3.xml").write_bytes(zeerex(host="other.example.org"))
    (folder / "10.xml").write_bytes(zeerex(port="abc"))
    (folder / "11.xml").write_bytes(zeerex(title="<a href='http://spam'>cheap</a>"))
    rejections = tmp_path / "rejections.csv"
    code, output = run("import", str(folder), "--rejections", str(rejections), *at)
    assert code == 1  # some were rejected
    assert "5 records: 2 targets imported (2 new" in output
    assert "1 duplicates merged, 2 rejected" in output
    assert "bad-port" in output and "markup" in output
    with rejections.open() as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["where"], row["reason"]) for row in rows] == [
        ("10.xml", "bad-port"),
        ("11.xml", "markup"),
    ]

    code, output = run("ports", *at)
    assert code == 0 and "2100" in output and "210 " in output
    assert "2 targets on 2 ports" in output

    code, output = run("show", "z.example.org:2100/books", *at)
    assert "2010-04-12 03:12:13" in output and "10005" in output and "irspy" in output

    exported = tmp_path / "directory.json"
    code, output = run("export", "--format", "json", "--out", str(exported), *at)
    assert code == 0 and "2 targets written" in output
    assert len(json.loads(exported.read_text())["targets"]) == 2
    code, output = run("export", "--format", "yaz", "--out", "-", *at)
    assert "z.example.org:2100/books" in output

    again = run("import", str(exported), "--format", "json", *at)
    assert again[0] == 0 and "2 unchanged" in again[1]


def test_markup_in_a_rejection_is_shown_as_text_not_rendered(tmp_path: Path) -> None:
    record = tmp_path / "spam.xml"
    record.write_bytes(zeerex(host="[bold red]x[/bold red]"))
    code, output = run("import", str(record), "--directory", str(tmp_path / "d.sqlite"))
    assert code == 1 and "[bold red]x[/bold red]" in output


def test_the_shelfnet_command_has_the_directory_commands(tmp_path: Path) -> None:
    directory = str(tmp_path / "d.sqlite")
    shelfnet = [sys.executable, "-m", "shelfnet", "directory"]
    added = subprocess.run(
        [*shelfnet, "add", "lx2.loc.gov:210/LCDB", "--directory", directory],
        capture_output=True,
        text=True,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    ports = subprocess.run(
        [*shelfnet, "ports", "--directory", directory], capture_output=True, text=True, check=False
    )
    assert ports.returncode == 0 and "1 targets on 1 ports" in ports.stdout
