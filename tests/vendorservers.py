"""Small real HTTP servers that answer like the vendors' patron APIs, for the tests.

Each runs the standard library's ``ThreadingHTTPServer`` on a free loopback port in a
thread, and records the requests it got (method, raw path, headers) so a test can check
what was sent. The patrons are in :data:`PATRONAPI_PATRONS` and :data:`SYMPHONY_PATRONS`.

* :func:`patronapi_server` -- III PatronAPI: ``GET /PATRONAPI/{barcode}/{pin}/pintest``
  and ``GET /PATRONAPI/{barcode}/dump``, answering ``KEY[code]=value<BR>`` lines in an
  HTML body;
* :func:`symphony_server` -- SirsiDynix Symphony Web Services under ``/symws``:
  ``POST /user/patron/login`` and ``GET /user/patron/key/{key}``, JSON both ways;
* :func:`closed_port_url` -- a URL where nothing listens (a server that is down).
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    """As sent, percent-encoding kept."""
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class VendorServer:
    base_url: str
    requests: list[Request] = field(default_factory=list)


# --- III PatronAPI -------------------------------------------------------------------


@dataclass(frozen=True)
class PatronApiPatron:
    pin: str
    fields: tuple[tuple[str, str], ...]
    """(``LABEL[code]``, value) in the order the dump gives them."""


def _iii(
    record: str, name: str, ptype: str, expires: str, mblock: str = "-", owed: str = "$0.00"
) -> tuple[tuple[str, str], ...]:
    return (
        ("REC INFO[p!]", record),
        ("EXP DATE[p43]", expires),
        ("P TYPE[p47]", ptype),
        ("HOME LIBR[p53]", "main "),
        ("MBLOCK[p56]", mblock),
        ("MONEY OWED[p96]", owed),
        ("PATRN NAME[pn]", name),
        ("EMAIL ADDR[pz]", f"{record}@example.org"),
        ("P BARCODE[pb]", ""),  # filled in per barcode below
    )


PATRONAPI_PATRONS: dict[str, PatronApiPatron] = {
    # valid: faculty (P TYPE 3) until the end of 2027
    "21000000000001": PatronApiPatron("1234", _iii("p1000001", "Smith, Jane", "3", "12-31-27")),
    # expired at the end of January 2020
    "21000000000002": PatronApiPatron("2222", _iii("p1000002", "Old, Otto", "1", "01-31-20")),
    # manual block "c" (collections)
    "21000000000003": PatronApiPatron("3333", _iii("p1000003", "Late, Lee", "1", "12-31-27", "c")),
    # owes $25.00
    "21000000000004": PatronApiPatron(
        "4444", _iii("p1000004", "Owing, Olive", "1", "12-31-27", owed="$25.00")
    ),
    # a PIN full of characters that need encoding in a URL path
    "21000000000005": PatronApiPatron("p?n #5&%", _iii("p1000005", "Odd, Pin", "2", "  -  -  ")),
}


def _html(lines: list[str]) -> bytes:
    return (
        "<HTML><BODY>\n" + "".join(f"{line}<BR>\n" for line in lines) + "</BODY></HTML>\n"
    ).encode()


def _patronapi_answer(path: str) -> bytes | None:
    parts = [unquote(p) for p in path.split("/")]
    if len(parts) < 4 or parts[1] != "PATRONAPI":
        return None
    patron = PATRONAPI_PATRONS.get(parts[2])
    if len(parts) == 5 and parts[4] == "pintest":
        if patron is None:
            return _html(["RETCOD=1", "ERRNUM=1", "ERRMSG=Requested record not found"])
        if parts[3] != patron.pin:
            return _html(["RETCOD=1", "ERRNUM=4", "ERRMSG=Invalid patron PIN"])
        return _html(["RETCOD=0"])
    if len(parts) == 4 and parts[3] == "dump":
        if patron is None:
            return _html(["ERRNUM=1", "ERRMSG=Requested record not found"])
        fields = [(k, parts[2] if k == "P BARCODE[pb]" else v) for k, v in patron.fields]
        return _html([f"{k}={v}" for k, v in fields])
    return None


@contextmanager
def patronapi_server() -> Iterator[VendorServer]:
    def answer(request: Request) -> tuple[int, str, bytes]:
        body = _patronapi_answer(urlsplit(request.path).path)
        if body is None:
            return 404, "text/html", b"<HTML><BODY>Not found</BODY></HTML>"
        return 200, "text/html", body

    with _serve(answer) as server:
        yield server


# --- SirsiDynix Symphony Web Services -------------------------------------------------

SYMPHONY_CLIENT_ID = "SHELFNET-TEST"
SYMPHONY_PREFIX = "/symws"


@dataclass(frozen=True)
class SymphonyPatron:
    key: str
    pin: str
    fields: dict[str, Any]


def _sirsi(
    first: str, last: str, profile: str, standing: str, expires: str | None
) -> dict[str, Any]:
    return {
        "firstName": first,
        "lastName": last,
        "displayName": f"{last}, {first}",
        "profile": {"resource": "/policy/userProfile", "key": profile},
        "library": {"resource": "/policy/library", "key": "MAIN"},
        "standing": {"resource": "/policy/patronStanding", "key": standing},
        "privilegeExpiresDate": expires,
        "address1": [
            {
                "resource": "/user/patron/address1",
                "key": "1",
                "fields": {"code": {"resource": "/policy/patronAddress1", "key": "STREET"},
                           "data": "1 Library Way"},
            },
            {
                "resource": "/user/patron/address1",
                "key": "2",
                "fields": {"code": {"resource": "/policy/patronAddress1", "key": "EMAIL"},
                           "data": f"{first.lower()}@example.org"},
            },
        ],
    }  # fmt: skip


SYMPHONY_PATRONS: dict[str, SymphonyPatron] = {
    # valid: faculty until mid-2027
    "21000000000001": SymphonyPatron(
        "101", "1234", _sirsi("Jane", "Smith", "FACULTY", "OK", "2027-06-30")
    ),
    # privileges expired in mid-2020
    "21000000000002": SymphonyPatron(
        "102", "2222", _sirsi("Otto", "Old", "UNDERGRAD", "OK", "2020-06-30")
    ),
    "21000000000003": SymphonyPatron(
        "103", "3333", _sirsi("Barry", "Barred", "UNDERGRAD", "BARRED", None)
    ),
    "21000000000004": SymphonyPatron(
        "104", "4444", _sirsi("Della", "Late", "GRAD", "DELINQUENT", None)
    ),
}


def _symphony_answer(request: Request, sessions: dict[str, str]) -> tuple[int, dict[str, Any]]:
    def messages(code: str, message: str) -> dict[str, Any]:
        return {"messageList": [{"code": code, "message": message}]}

    if request.headers.get("x-sirs-clientid") != SYMPHONY_CLIENT_ID:
        return 401, messages("clientIdInvalid", "The client ID is not valid.")
    path = urlsplit(request.path).path.removeprefix(SYMPHONY_PREFIX)
    if request.method == "POST" and path == "/user/patron/login":
        body = json.loads(request.body or b"{}")
        patron = SYMPHONY_PATRONS.get(str(body.get("login")))
        if patron is None or body.get("password") != patron.pin:
            return 401, messages("unableToLogin", "Unable to log in.")
        token = secrets.token_hex(8)
        sessions[token] = patron.key
        return 200, {"patronKey": patron.key, "sessionToken": token, "name": "x"}
    if request.method == "GET" and path.startswith("/user/patron/key/"):
        key = unquote(path.rsplit("/", 1)[1])
        if sessions.get(request.headers.get("x-sirs-sessiontoken", "")) != key:
            return 401, messages("sessionTimedOut", "The session has timed out.")
        barcode, patron = next((b, p) for b, p in SYMPHONY_PATRONS.items() if p.key == key)
        wanted = parse_qs(urlsplit(request.path).query).get("includeFields", [""])[0].split(",")
        fields = {"barcode": barcode, **patron.fields}
        return 200, {
            "resource": "/user/patron",
            "key": key,
            "fields": {k: v for k, v in fields.items() if k in wanted},
        }
    return 404, messages("notFound", "Not found.")


@contextmanager
def symphony_server() -> Iterator[VendorServer]:
    sessions: dict[str, str] = {}

    def answer(request: Request) -> tuple[int, str, bytes]:
        status, body = _symphony_answer(request, sessions)
        return status, "application/json", json.dumps(body).encode()

    with _serve(answer, prefix=SYMPHONY_PREFIX) as server:
        yield server


# --- plumbing ------------------------------------------------------------------------


def closed_port_url(scheme: str = "http", path: str = "") -> str:
    """A URL on a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port = sock.getsockname()[1]
    return f"{scheme}://{LOOPBACK}:{port}{path}"


@contextmanager
def _serve(answer: Any, prefix: str = "") -> Iterator[VendorServer]:
    server_state = VendorServer("")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            server_state.requests.append(request)
            status, content_type, body = answer(request)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    httpd.daemon_threads = True
    server_state.base_url = f"http://{LOOPBACK}:{httpd.server_address[1]}{prefix}"
    thread = threading.Thread(target=httpd.serve_forever, name="vendor-server", daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
