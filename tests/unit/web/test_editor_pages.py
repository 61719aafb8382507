"""The record editor, driven in-process: a found record opened, checked, saved, undone, run
through a macro and downloaded, with CSRF tokens required and every value escaped."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from html import unescape
from pathlib import Path

import pymarc
import pytest
from fastapi.testclient import TestClient
from pymarc import Field, Subfield

from shelfnet.marc import MarcError, decode_marc, iter_marc
from shelfnet.marc.mnemonic import parse_mnemonic, to_mnemonic
from shelfnet.search.engine import (
    Event,
    FoundRecord,
    Phase,
    RecordsFound,
    SearchLimits,
    SearchQuery,
    StatusChanged,
    TargetStatus,
)
from shelfnet.search.targets import TargetList, TargetSpec
from shelfnet.web.app import create_app
from shelfnet.web.editor_routes import install
from tests.unit.web.fakes import CAUTION, KIND_OF_BLUE_FULL, USMARC, found
from tests.unit.web.pages import finished_page, start_search

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "marc"
JAZZ = DATA / "jazz_1k.mrc"
TARGETS = TargetList(
    {
        "alpha": TargetSpec("alpha", "alpha.example:210/Books"),
        "beta": TargetSpec("beta", "beta.example:210/Books"),
    }
)


def unimarc_book() -> pymarc.Record:
    record = pymarc.Record()
    record.leader = pymarc.Leader("00000nam0 2200000   4500")
    record.fields.append(Field(tag="001", data="uni-1"))
    general = "20001231d1999    km y0frey50      ba"
    record.fields.append(_df("100", ("a", general)))
    record.fields.append(_df("101", ("a", "fre"), indicators=("0", " ")))
    title = (("a", "Le petit prince"), ("f", "Antoine de Saint-Exupéry"))
    record.fields.append(_df("200", *title, indicators=("1", " ")))
    record.fields.append(
        _df("700", ("a", "Saint-Exupéry"), ("b", "Antoine de"), indicators=(" ", "1"))
    )
    return record


def _df(tag: str, *pairs: tuple[str, str], indicators: tuple[str, str] = (" ", " ")) -> Field:
    subfields = [Subfield(code, value) for code, value in pairs]
    return Field(tag=tag, indicators=pymarc.Indicators(*indicators), subfields=subfields)


def jazz_record() -> tuple[pymarc.Record, bytes]:
    """The first record of jazz_1k.mrc (MARC-8), decoded as the search engine does."""
    with JAZZ.open("rb") as handle:
        first = next(iter(iter_marc(handle)))
    assert not isinstance(first, MarcError)
    return decode_marc(first.raw).record, first.raw


async def search(
    targets: Sequence[TargetSpec], query: SearchQuery, limits: SearchLimits
) -> AsyncIterator[Event]:
    """Every target answers at once: alpha 1 and 2 (fakes), beta 1 (UNIMARC), 2 (jazz)."""
    held = {"alpha": [KIND_OF_BLUE_FULL, CAUTION], "beta": [unimarc_book()]}
    for target in targets:
        chosen = held.get(target.name, [])
        answer = [found(target.name, n, r) for n, r in enumerate(chosen, start=1)]
        if target.name == "beta" and JAZZ.is_file():
            record, raw = jazz_record()
            answer.append(FoundRecord(target.name, 2, record, raw, USMARC))
        yield RecordsFound(target.name, tuple(answer))
        done = TargetStatus(target, Phase.DONE, records=len(answer), started=0.0, finished=1.0)
        yield StatusChanged(done)


@pytest.fixture
def client() -> Iterator[TestClient]:
    ids = (f"s{n}" for n in itertools.count(1))
    app = create_app(TARGETS, search=search, new_id=lambda: next(ids), stream_interval=0)
    install(app)
    with TestClient(app) as test_client:
        finished_page(test_client, start_search(test_client, "ti=blue", ["alpha", "beta"]))
        yield test_client


KOB = "/edit/s1/0/1"
CAUTIOUS = "/edit/s1/0/2"
UNIMARC = "/edit/s1/1/1"
JAZZY = "/edit/s1/1/2"


def textarea(html: str) -> str:
    match = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, html
    return unescape(match[1]).removeprefix("\n")  # as browsers read it


def token(client: TestClient, url: str = KOB) -> str:
    """Open the editor (which sets the double-submit cookie) and return its form token."""
    html = client.get(url).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    assert client.cookies.get("shelfnet_csrf") == match[1]
    return match[1]


def post(client: TestClient, url: str, **fields: str) -> tuple[int, str]:
    form = {"csrf_token": token(client, url.rsplit("/", 1)[0]), **fields}
    response = client.post(url, data=form, follow_redirects=True)
    return response.status_code, response.text


def validated(client: TestClient, text: str, url: str = KOB) -> dict[str, object]:
    response = client.post(
        f"{url}/validate", json={"text": text}, headers={"X-CSRF-Token": token(client, url)}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def downloaded(client: TestClient, url: str = KOB, fmt: str = "marc") -> bytes:
    response = client.get(f"{url}/download", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return bytes(response.content)


def read_marc(data: bytes) -> pymarc.Record:
    reader = pymarc.MARCReader(io.BytesIO(data), to_unicode=True)
    records: list[pymarc.Record] = [r for r in reader if r is not None]
    assert len(records) == 1
    return records[0]


def lines_with(text: str, tag: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(f"={tag}")]


def test_the_record_page_links_to_the_editor_of_that_record(client: TestClient) -> None:
    page = client.get("/search/s1/records/0/1").text
    assert f'href="http://testserver{KOB}"' in page


def test_the_editor_shows_the_record_as_mnemonic_text_fields_and_its_flavour(
    client: TestClient,
) -> None:
    html = client.get(KOB).text
    assert textarea(html) == to_mnemonic(KIND_OF_BLUE_FULL)
    assert '<span class="flavour" id="flavour"' in html and ">MARC 21<" in html
    assert re.search(
        r'<td class="tag">245</td>\s*<td class="name">Title statement \[MARC 21\]</td>'
        r'\s*<td class="ind">10</td>',
        html,
    )
    assert "The source record, as alpha sent it" in html


def test_a_unimarc_record_is_labelled_unimarc_with_its_accents_intact(client: TestClient) -> None:
    html = client.get(UNIMARC).text
    flavour = re.search(r'id="flavour"[^>]*>([^<]+)<', html)
    assert flavour and "UNIMARC" in flavour[1]
    assert "Saint-Exupéry" in textarea(html)
    assert '<td class="name">Title and statement of responsibility [UNIMARC]</td>' in html
    # MARC 21's rules (no 245, ...) only warn about a UNIMARC record: it can be saved.
    answer = validated(client, textarea(html), UNIMARC)
    problems = answer["problems"]
    assert isinstance(problems, list) and problems
    assert {p["severity"] for p in problems} == {"warning"}
    assert answer["flavour"] == "UNIMARC" and answer["savable"] is True


@pytest.mark.skipif(not JAZZ.is_file(), reason="shared MARC data not present")
def test_a_marc8_record_is_edited_as_unicode_and_downloads_back_as_marc8(
    client: TestClient,
) -> None:
    record, _ = jazz_record()
    text = textarea(client.get(JAZZY).text)
    assert "{acute}" not in text and "{U+" not in text
    assert parse_mnemonic(text)["245"].value() == record["245"].value()
    marc8 = downloaded(client, JAZZY, "marc8")
    assert marc8[9:10] == b" "
    assert decode_marc(marc8).record["245"].value() == record["245"].value()


def test_validation_places_each_kind_of_problem_on_its_line(client: TestClient) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL)
    broken = (
        text.replace("=LDR  00000cam", "=LDR  00000zam")  # leader/05: line 1
        .replace("=245  10", "=245  90")  # indicator 1 not allowed: an error
        .replace("=260  \\\\$aNew York :", "=260  \\\\$aNew York :$b")  # empty: a warning
    )
    answer = validated(client, broken)
    problems = answer["problems"]
    assert isinstance(problems, list)
    found_problems = {(p["line"], p["severity"], p["where"]) for p in problems}
    assert (1, "error", "LDR") in found_problems
    assert (lines_with(broken, "245")[0], "error", "245") in found_problems
    assert (lines_with(broken, "260")[0], "warning", "260 $b") in found_problems
    assert answer["savable"] is False and answer["readable"] is True


def test_a_missing_title_is_a_record_level_problem_and_a_bad_line_a_syntax_error(
    client: TestClient,
) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL)
    untitled = "\n".join(line for line in text.splitlines() if not line.startswith("=245"))
    problems = validated(client, untitled)["problems"]
    assert isinstance(problems, list)
    assert any(p["line"] is None and p["where"] == "245" for p in problems)

    garbled = text.replace("=100  ", "100 ")
    answer = validated(client, garbled)
    assert answer["readable"] is False
    assert answer["problems"] == [
        {
            "line": lines_with(text, "100")[0],
            "severity": "error",
            "where": "syntax",
            "message": "not '=TAG  data': "
            + repr(garbled.splitlines()[lines_with(text, "100")[0] - 1][:40]),
        }
    ]


def test_validate_answers_with_the_field_view_following_the_text(client: TestClient) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aSo what /")
    fields = validated(client, text)["fields"]
    assert isinstance(fields, list)
    title = next(row for row in fields if row["tag"] == "245")
    assert title["indicators"] == "10"
    assert title["subfields"][0] == ["a", "So what /"]


def test_without_javascript_the_validate_button_shows_the_problems_on_the_page(
    client: TestClient,
) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("=245  10", "=245  90")
    status, html = post(client, f"{KOB}/validate", text=text)
    assert status == 422
    line = lines_with(text, "245")[0]
    assert f'<li class="error" data-line="{line}">' in html
    assert textarea(html) == text


def test_errors_block_a_save_and_the_typed_text_is_kept(client: TestClient) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("=245  10$aKind of blue", "=245  90$aTyped <b>")
    status, html = post(client, f"{KOB}/save", text=text)
    assert status == 422
    assert "Not saved: 1 error to fix first" in html
    assert textarea(html) == text
    assert read_marc(downloaded(client))["245"]["a"] == "Kind of blue /"


def test_warnings_do_not_block_a_save(client: TestClient) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$c1959.", "$c1959.$b")
    status, html = post(client, f"{KOB}/save", text=text)
    assert status == 200 and "Saved." in html
    assert read_marc(downloaded(client))["260"].get_subfields("b") == ["Columbia,", ""]


def test_a_saved_edit_downloads_as_the_edited_record_and_undo_brings_back_the_last(
    client: TestClient,
) -> None:
    original = to_mnemonic(KIND_OF_BLUE_FULL)
    first = original.replace("$aKind of blue /", "$aKind of blue (remastered) /")
    second = first.replace("$bColumbia,", "$bLegacy,")
    for text in (first, second):
        status, _ = post(client, f"{KOB}/save", text=text)
        assert status == 200
    saved = read_marc(downloaded(client))
    assert to_mnemonic(saved).splitlines()[1:] == second.splitlines()[1:]  # lengths aside
    assert saved["245"]["a"] == "Kind of blue (remastered) /"

    status, html = post(client, f"{KOB}/undo")
    assert "Undone" in html and textarea(html) == first
    status, html = post(client, f"{KOB}/undo")
    assert textarea(html) == original
    status, html = post(client, f"{KOB}/undo")
    assert "Nothing to undo" in html and 'id="undo" disabled' in html
    assert read_marc(downloaded(client))["245"]["a"] == "Kind of blue /"


def test_a_macro_shows_its_diff_and_changes_and_apply_saves_its_result(
    client: TestClient,
) -> None:
    typed = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aKind of blue, typed /")
    status, html = post(client, f"{KOB}/macro", text=typed, macro="add_049")
    assert status == 200
    diff = re.search(r'<pre class="diff" id="macro-diff">(.*?)</pre>', html, re.S)
    assert diff
    assert '<span class="add">+=049  \\\\$aXXXA</span>' in diff[1]
    assert '<span class="file">--- before</span>' in diff[1]
    assert re.search(r'<ul class="macro-changes">\s*<li>[^<]*049', html)
    assert textarea(html) == typed  # nothing applied yet
    assert not read_marc(downloaded(client)).get_fields("049")

    result = re.search(r'<input type="hidden" name="text" value="([^"]*)">', html, re.S)
    assert result
    status, html = post(client, f"{KOB}/apply", text=unescape(result[1]))
    assert status == 200 and "result is saved" in html
    saved = read_marc(downloaded(client))
    assert saved["049"]["a"] == "XXXA"
    assert saved["245"]["a"] == "Kind of blue, typed /"


def test_a_macro_on_unreadable_text_or_an_unknown_macro_is_refused_on_the_page(
    client: TestClient,
) -> None:
    status, html = post(client, f"{KOB}/macro", text="=LDR  short\n", macro="add_049")
    assert status == 422 and "cannot be read as a record" in html
    status, html = post(client, f"{KOB}/macro", text=to_mnemonic(KIND_OF_BLUE_FULL), macro="nope")
    assert "Choose a macro to run." in html


@pytest.mark.parametrize("fmt", ["marc8", "marcxml", "mrk", "ris", "bibtex", "mods"])
def test_every_download_format_carries_the_saved_title(client: TestClient, fmt: str) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aKind of blue redux /")
    post(client, f"{KOB}/save", text=text)
    assert b"Kind of blue redux" in downloaded(client, KOB, fmt)


def test_a_record_made_marc8_in_the_editor_downloads_as_unicode_and_marc8(
    client: TestClient,
) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aCaf{acute}e /")
    marc8_text = re.sub(r"^(=LDR  .{9})a", r"\1\\", text, flags=re.M)
    status, _ = post(client, f"{KOB}/save", text=marc8_text)
    assert status == 200
    assert read_marc(downloaded(client))["245"]["a"] == "Café /"
    assert decode_marc(downloaded(client, KOB, "marc8")).record["245"]["a"] == "Café /"


def test_an_unknown_download_format_is_refused(client: TestClient) -> None:
    response = client.get(f"{KOB}/download", params={"format": "pdf"})
    assert response.status_code == 400
    assert "choose marc, marc8" in response.text


def test_the_source_record_stays_downloadable_as_received_after_edits(client: TestClient) -> None:
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aChanged /")
    post(client, f"{KOB}/save", text=text)
    response = client.get(f"{KOB}/source")
    assert response.content == KIND_OF_BLUE_FULL.as_marc()
    assert "Kind of blue /" in client.get(KOB).text.split('id="source"')[1]


def test_posts_without_the_csrf_token_are_refused(client: TestClient) -> None:
    client.get(KOB)
    text = to_mnemonic(KIND_OF_BLUE_FULL).replace("$aKind of blue /", "$aForged /")
    for action in ("save", "undo", "macro", "apply", "validate"):
        response = client.post(f"{KOB}/{action}", data={"text": text, "macro": "add_049"})
        assert response.status_code == 403, action
        forged = {"text": text, "csrf_token": "x" * 40}
        assert client.post(f"{KOB}/{action}", data=forged).status_code == 403
    assert client.post(f"{KOB}/validate", json={"text": text}).status_code == 403
    wrong = {"X-CSRF-Token": "y" * 40}
    assert client.post(f"{KOB}/validate", json={"text": text}, headers=wrong).status_code == 403
    assert read_marc(downloaded(client))["245"]["a"] == "Kind of blue /"


def test_markup_in_a_record_is_shown_as_text(client: TestClient) -> None:
    html = client.get(CAUTIOUS).text
    assert "<script>alert" not in html and "<b>Bold" not in html
    assert "&lt;script&gt;alert(&#39;blue&#39;)&lt;/script&gt; &amp; co" in html
    assert "<script>alert('blue')</script> & co" in textarea(html)
    text = textarea(html).replace("=245  10", "=245  90")
    _, page = post(client, f"{CAUTIOUS}/save", text=text)
    assert "<script>alert" not in page


def test_unknown_searches_and_records_are_not_found(client: TestClient) -> None:
    assert client.get("/edit/nope/0/1").status_code == 404
    assert client.get("/edit/s1/0/99").status_code == 404
    assert client.get("/edit/s1/7/1").status_code == 404
