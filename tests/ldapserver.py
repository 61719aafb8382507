"""A throwaway OpenLDAP directory on loopback, started by the suite.

``slapd`` and ``slapadd`` from the Debian package ``slapd`` (``make peers`` installs it,
with ``ldap-utils``). The server reads an old-style ``slapd.conf`` (``slapd -f``) from a
temporary directory and keeps an MDB database there; it listens for ``ldap://`` (with
StartTLS) on one free loopback port and ``ldaps://`` on another, with a self-signed
certificate made by ``openssl``. It runs as whoever runs the tests (root included: no
``-u``/``-g``), in the foreground (``-d 0``) and in its own process group, and is stopped
when the block ends.

The directory (``dc=example,dc=org``)::

    ou=people   jane (faculty, Chemistry), sam (student), locked (shelfnetLocked TRUE),
                refused (an ACL refuses every bind), expired (shelfnetExpires in 2020),
                outsider (not in the ill-patrons group)
    ou=staff    cn=ill-service (the service account), alex (library staff)
    ou=outside  eve (a real account outside the allowed base)
    ou=groups   cn=ill-patrons (jane, sam, locked, expired, alex, eve)

Every password is in :data:`PASSWORDS`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "OpenLDAP server (slapd, slapadd) not found: install the Debian packages 'slapd' and "
    "'ldap-utils' (make peers)"
)
SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/libexec", "/usr/libexec")
SCHEMA_DIRS = ("/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema")
MODULE_DIRS = ("/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap")
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 15.0

BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
SERVICE_DN = f"cn=ill-service,ou=staff,{BASE}"
GROUP_DN = f"cn=ill-patrons,ou=groups,{BASE}"
PASSWORDS = {
    "jane": "jane's sesame",
    "sam": "s4m-p@ss word",
    "locked": "locked-pass",
    "refused": "refused-pass",
    "expired": "expired-pass",
    "outsider": "outsider-pass",
    "alex": "alex-pass",
    "eve": "eve-pass",
    "ill-service": "service-pass",
}

# Two attributes and an auxiliary class for the tests (1.3.6.1.4.1.99999 is not a real
# arc), and eduPersonAffiliation as the eduPerson schema defines it.
TEST_SCHEMA = """\
attributetype ( 1.3.6.1.4.1.5923.1.1.1.1 NAME 'eduPersonAffiliation'
    EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'shelfnetLocked'
    EQUALITY booleanMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.1.2 NAME 'shelfnetExpires'
    EQUALITY generalizedTimeMatch ORDERING generalizedTimeOrderingMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'shelfnetPatron' AUXILIARY
    MAY ( eduPersonAffiliation $ shelfnetLocked $ shelfnetExpires ) )
"""


class MissingSlapd(Exception):
    pass


@dataclass(frozen=True)
class Directory:
    """A running test directory."""

    host: str
    port: int
    ldaps_port: int
    ca_file: Path
    root: Path

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.host}:{self.ldaps_port}"


def find_program(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in SEARCH_DIRS if (Path(d) / name).is_file()), None
    )
    if found is None:
        raise MissingSlapd(INSTALL_HINT)
    return found


def require_slapd() -> None:
    """Raise :class:`MissingSlapd` unless slapd, slapadd, slappasswd and openssl exist."""
    for name in ("slapd", "slapadd", "slappasswd"):
        find_program(name)
    if shutil.which("openssl") is None:
        raise MissingSlapd("openssl not found: install the Debian package 'openssl'")
    _first_dir(SCHEMA_DIRS, "core.schema")


@contextmanager
def start_directory(root: Path) -> Iterator[Directory]:
    """Build the test directory in ``root``, serve it, stop slapd at the end."""
    require_slapd()
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir()
    ca_file = _make_certificate(root)
    config = _write_config(root)
    _run([find_program("slapadd"), "-f", str(config), "-l", str(_write_ldif(root))])
    for _attempt in range(3):
        port, ldaps_port = _free_port(), _free_port()
        process = _start(root, config, port, ldaps_port)
        try:
            _wait_until_listening(process, root, (port, ldaps_port))
        except RuntimeError:
            exited = process.poll() is not None
            _stop(process)
            if exited:
                continue  # another process took a port first
            raise
        try:
            yield Directory(LOOPBACK, port, ldaps_port, ca_file, root)
        finally:
            _stop(process)
        return
    raise RuntimeError(f"slapd did not start:\n{_log(root)}")


def _start(root: Path, config: Path, port: int, ldaps_port: int) -> subprocess.Popen[bytes]:
    urls = f"ldap://{LOOPBACK}:{port}/ ldaps://{LOOPBACK}:{ldaps_port}/"
    with (root / "slapd.log").open("ab") as log:
        return subprocess.Popen(
            [find_program("slapd"), "-f", str(config), "-h", urls, "-d", "0"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _make_certificate(root: Path) -> Path:
    """A self-signed certificate for localhost and 127.0.0.1; it is its own CA."""
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
          "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
          "-keyout", str(root / "server.key"), "-out", str(root / "server.crt")])  # fmt: skip
    return root / "server.crt"


def _write_config(root: Path) -> Path:
    schema = _first_dir(SCHEMA_DIRS, "core.schema")
    modules = next((d for d in MODULE_DIRS if Path(d, "back_mdb.la").exists()), None)
    (root / "shelfnet-test.schema").write_text(TEST_SCHEMA)
    load = f"modulepath {modules}\nmoduleload back_mdb\n" if modules else ""
    config = root / "slapd.conf"
    config.write_text(f"""\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {root}/shelfnet-test.schema
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
{load}
TLSCertificateFile {root}/server.crt
TLSCertificateKeyFile {root}/server.key

database mdb
maxsize 16777216
suffix "{BASE}"
rootdn "cn=admin,{BASE}"
directory {root}/data

# "refused" has the right password but may never bind: the directory answers 49.
access to dn.exact="uid=refused,{PEOPLE}" attrs=userPassword
    by * none
access to attrs=userPassword
    by anonymous auth
    by * none
access to *
    by users read
    by anonymous auth
""")
    return config


def _write_ldif(root: Path) -> Path:
    hashes = {name: _ssha(password) for name, password in PASSWORDS.items()}

    def person(uid: str, ou: str, given: str, sn: str, *extra: str) -> str:
        lines = [
            f"dn: uid={uid},ou={ou},{BASE}",
            "objectClass: inetOrgPerson",
            "objectClass: shelfnetPatron",
            f"uid: {uid}",
            f"cn: {given} {sn}",
            f"givenName: {given}",
            f"sn: {sn}",
            f"mail: {uid}@example.org",
            f"userPassword: {hashes[uid]}",
            *extra,
        ]
        return "\n".join(lines)

    def unit(name: str) -> str:
        return f"dn: ou={name},{BASE}\nobjectClass: organizationalUnit\nou: {name}"

    members = ("jane,ou=people", "sam,ou=people", "locked,ou=people", "expired,ou=people",
               "alex,ou=staff", "eve,ou=outside")  # fmt: skip
    entries = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        *(unit(name) for name in ("people", "staff", "outside", "groups")),
        person(
            "jane",
            "people",
            "Jane",
            "Smith",
            "ou: Chemistry",
            "employeeType: faculty",
            "eduPersonAffiliation: faculty",
            "eduPersonAffiliation: member",
            "displayName: Prof. Jane Smith",
        ),
        person("sam", "people", "Sam", "Jones", "ou: History", "eduPersonAffiliation: student"),
        person("locked", "people", "Lou", "Locke", "shelfnetLocked: TRUE"),
        person("refused", "people", "Ray", "Fused"),
        person("expired", "people", "Ex", "Pired", "shelfnetExpires: 20200101000000Z"),
        person("outsider", "people", "Otto", "Sider"),
        person("alex", "staff", "Alex", "Keeper", "ou: Library"),
        person("eve", "outside", "Eve", "Outis"),
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: ill-service\nuserPassword: {hashes['ill-service']}",
        f"dn: {GROUP_DN}\nobjectClass: groupOfNames\ncn: ill-patrons\n"
        + "\n".join(f"member: uid={m},{BASE}" for m in members),
    ]
    ldif = root / "directory.ldif"
    ldif.write_text("\n\n".join(entries) + "\n")
    return ldif


def _ssha(password: str) -> str:
    done = subprocess.run(
        [find_program("slappasswd"), "-h", "{SSHA}", "-T", "/dev/stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _first_dir(candidates: tuple[str, ...], marker: str) -> str:
    for candidate in candidates:
        if (Path(candidate) / marker).is_file():
            return candidate
    raise MissingSlapd(f"OpenLDAP schema files not found in {', '.join(candidates)}: "
                       + INSTALL_HINT)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_listening(
    process: subprocess.Popen[bytes], root: Path, ports: tuple[int, ...]
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    waiting = list(ports)
    while waiting and time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited with status {process.returncode}:\n{_log(root)}")
        try:
            with socket.create_connection((LOOPBACK, waiting[0]), timeout=0.5):
                waiting.pop(0)
        except OSError:
            time.sleep(0.05)
    if waiting:
        raise RuntimeError(f"slapd did not listen on {waiting} in time:\n{_log(root)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(5.0)
        except subprocess.TimeoutExpired:
            continue


def _log(root: Path) -> str:
    try:
        return "\n".join((root / "slapd.log").read_text(errors="replace").splitlines()[-20:])
    except OSError:
        return ""


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
