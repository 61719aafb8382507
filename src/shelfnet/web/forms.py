"""The search form: what the user typed and ticked, checked before any target is asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shelfnet.query.rpn import QueryError
from shelfnet.search.engine import Language, SearchQuery
from shelfnet.search.targets import TargetList, TargetSpec

LANGUAGES = (
    (Language.CCL, "CCL", "ti=blue and au=monk"),
    (Language.CQL, "CQL", 'dc.title = blue and dc.creator = "monk"'),
    (Language.PQF, "PQF", "@and @attr 1=4 blue @attr 1=1003 monk"),
)


@dataclass(frozen=True)
class SearchForm:
    """The form as submitted (and shown again with the error when it is wrong)."""

    query: str = ""
    language: str = Language.CCL.value
    targets: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())

    @classmethod
    def from_fields(cls, fields: Mapping[str, Sequence[str]]) -> SearchForm:
        def first(name: str, default: str = "") -> str:
            values = fields.get(name, ())
            return values[0] if values else default

        return cls(
            query=first("query").strip(),
            language=first("language", Language.CCL.value),
            targets=tuple(fields.get("target", ())),
            groups=tuple(fields.get("group", ())),
        )


@dataclass(frozen=True)
class SearchRequest:
    """A checked form: the query and the targets to send it to."""

    query: SearchQuery
    targets: list[TargetSpec]


def check(form: SearchForm, listed: TargetList) -> SearchRequest | SearchForm:
    """The search to run, or the form again with every reason it cannot run."""
    errors = [*_query_errors(form), *_target_errors(form, listed)]
    if errors:
        return SearchForm(form.query, form.language, form.targets, form.groups, tuple(errors))
    query = SearchQuery(form.query, Language(form.language))
    return SearchRequest(query, listed.resolve([*form.groups, *form.targets]))


def _query_errors(form: SearchForm) -> list[str]:
    if not form.query:
        return ["Enter a query."]
    try:
        language = Language(form.language)
    except ValueError:
        return [f"Unknown query language {form.language!r}: choose CCL, CQL or PQF."]
    try:
        SearchQuery(form.query, language).rpn()
    except QueryError as exc:
        return [f"The {language.name} query does not parse: {exc.message} (column {exc.column})."]
    except ValueError as exc:
        return [f"The {language.name} query cannot be used: {exc}."]
    return []


def _target_errors(form: SearchForm, listed: TargetList) -> list[str]:
    # The page offers only the configured targets: never a bare address a user typed in.
    unknown_targets = [name for name in form.targets if name not in listed.targets]
    unknown_groups = [name for name in form.groups if name not in listed.groups]
    errors = [f"There is no target called {name!r}." for name in unknown_targets]
    errors += [f"There is no target group {name!r}." for name in unknown_groups]
    if not errors and not form.targets and not form.groups:
        errors.append("Choose at least one target or group.")
    return errors
