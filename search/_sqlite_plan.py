"""The ranked stages of a query on the embedded index, as FTS5 expressions.

A page matches a query when every term is found on it — in its body, its boilerplate or
the record's names (``required``). Matches are ranked by the first stage that holds them:

=======  ===================================================================================
stage    the page…
=======  ===================================================================================
names    belongs to a record naming a person whose name has the words together, in order
phrase   has all the words together, in order (every adjacent pair of them side by side)
people   belongs to a record whose people's names hold all the words
near     has two of the words side by side, in order (queries of three words or more)
body     has every word in its body or the record's names, not only in boilerplate
rest     has some word only in its boilerplate (motto, bare headers, signature titles)
=======  ===================================================================================

A one-word query has ``names``, ``body``, ``rest``. Stage *i* is one FTS5 expression,
``required AND Xᵢ NOT (X₁ OR … OR Xᵢ₋₁)``: the stages are disjoint, and each is a single
``ORDER BY rowid DESC`` scan of the engine, so a stage's first pages cost what reading
them costs however many pages it holds. Inside a stage, pages are re-ranked in Python
(``_sqlite_rank``) when the stage is small, else they come newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from search._sqlite_tokens import (
    NAME,
    all_of,
    all_pairs,
    any_of,
    fts_string,
    phrase_anywhere,
    query_words,
    word_anywhere,
)
from search.query import ParsedQuery

NAMES, PHRASE, PEOPLE, NEAR, BODY, REST = "names", "phrase", "people", "near", "body", "rest"
STAGES = (NAMES, PHRASE, PEOPLE, NEAR, BODY, REST)


@dataclass(frozen=True)
class Stage:
    name: str
    match: str  # the FTS5 expression


@dataclass(frozen=True)
class Plan:
    required: str  # every matching page (the total); FTS5 expression
    stages: tuple[Stage, ...]
    long_phrases: tuple[tuple[str, ...], ...]  # quoted terms of 3+ words: checked on the text


def plan(parsed: ParsedQuery, tags: list[str]) -> Plan:
    """The stages of a non-empty query; ``tags`` (filters) are required in every one.

    A stage's mark states only what it adds to ``required``: the names, phrase and (for
    words) people and body marks imply the terms they cover, so those parts of ``required``
    are left out of the stage — intersecting the commonest words' doclists again would cost
    more than the whole rest of the search.
    """
    words = query_words(parsed)
    single = list(dict.fromkeys(t.folded[0] for t in parsed.terms if len(t.folded) == 1))
    phrases = [t.folded for t in parsed.terms if len(t.folded) > 1]
    word_terms = [word_anywhere(w) for w in single]
    phrase_terms = [phrase_anywhere(p) for p in phrases]
    tag_terms = [fts_string([t]) for t in tags]
    required = all_of([*word_terms, *phrase_terms, *tag_terms])
    marks: list[tuple[str, str, list[str]]]  # name, mark, the parts of required it does not imply
    if len(words) == 1:
        marks = [(NAMES, fts_string([NAME + words[0]]), []), (BODY, fts_string([words[0]]), [])]
    else:
        unique = list(dict.fromkeys(words))
        marks = [(NAMES, all_pairs(words, prefix=NAME), []), (PHRASE, all_pairs(words), []),
                 (PEOPLE, "(" + all_of(fts_string([NAME + w]) for w in unique) + ")", phrase_terms)]
        if len(words) > 2:
            pairs = dict.fromkeys(f"{a}_{b}" for a, b in pairwise(words))
            marks.append((NEAR, any_of(*(fts_string([p]) for p in pairs)), [*word_terms, *phrase_terms]))
        if single:
            strict = "(" + all_of(any_of(fts_string([w]), fts_string([NAME + w])) for w in single) + ")"
            marks.append((BODY, strict, phrase_terms))
    stages: list[Stage] = []
    before: list[str] = []
    for name, mark, rest in [*marks, (REST, None, [*word_terms, *phrase_terms])]:
        expr = all_of([*([] if mark is None else [mark]), *(f"({r})" for r in rest), *tag_terms])
        if before:
            expr = f"({expr}) NOT {any_of(*before)}"
        stages.append(Stage(name, expr))
        if mark is not None:
            before.append(mark)
    return Plan(required, tuple(stages), tuple(p for p in phrases if len(p) > 2))
