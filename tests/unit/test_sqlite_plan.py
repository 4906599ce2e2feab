"""The embedded index's tokens, stages and in-stage ranking, without a database."""

from __future__ import annotations

import re

from search._sqlite_plan import plan
from search._sqlite_rank import PageView, holds_phrases, score
from search._sqlite_tokens import name_words, page_tokens, tag
from search.query import parse_query


def test_a_page_row_has_body_words_and_pairs_boilerplate_names_and_tags() -> None:
    text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nHọ và tên: BÙI THỊ AN"
    tokens = page_tokens(text, name_words(["Bùi Thị An"]), [tag("a", "UBND-X")], needs_review=True).split()
    assert {"bui", "thi", "an", "ho", "va", "ten", "bui_thi", "thi_an", "ten_bui"} <= set(tokens)
    assert {"cong__", "hoa__", "cong_hoa__", "viet_nam__"} <= set(tokens)
    assert "hoa" not in tokens and "cong_hoa" not in tokens and "nam_ho" not in tokens  # no pair across the cut
    assert {"_bui", "_thi", "_an", "_bui_thi", "_thi_an", tag("a", "UBND-X"), tag("r", 1)} <= set(tokens)


def test_user_words_are_quoted_fts5_strings_never_syntax() -> None:
    """Outside the quoted strings an expression holds nothing but the planner's operators."""
    p = plan(parse_query('ma OR NEAR(x) * - "{a b} : c" AND'), [tag("a", 'x" OR "y')])
    for expr in (p.required, *(s.match for s in p.stages)):
        outside = re.sub(r'"(?:[^"]|"")*"', " ", expr).replace("(", " ").replace(")", " ")
        assert set(outside.split()) <= {"AND", "OR", "NOT"}
    assert '"or"' in p.required and '"near_x"' in p.required  # NEAR(x): one chunk, so a phrase


def test_a_one_word_query_has_names_body_and_boilerplate_stages() -> None:
    p = plan(parse_query("Hòa"), [tag("t", "cccd")])
    assert [s.name for s in p.stages] == ["names", "body", "rest"]
    assert p.stages[1].match.endswith('NOT ("_hoa")')
    assert all(tag("t", "cccd") in s.match for s in p.stages)


def test_later_stages_exclude_every_earlier_one() -> None:
    p = plan(parse_query("bui thi an"), [])
    assert [s.name for s in p.stages] == ["names", "phrase", "people", "near", "body", "rest"]
    assert '"_bui_thi" AND "_thi_an"' in p.stages[0].match
    rest = p.stages[5].match
    assert rest.index(" NOT ") < rest.index('"_bui_thi"')  # only in what the last stage leaves out
    assert p.long_phrases == ()
    assert plan(parse_query('"bui thi an"'), []).long_phrases == (("bui", "thi", "an"),)
    assert plan(parse_query("123/QĐ-UBND"), []).long_phrases == (("123", "qd", "ubnd"),)


def test_a_long_phrase_is_checked_word_by_word_on_the_text_or_a_name() -> None:
    assert holds_phrases("Quyết định số 123/QĐ-UBND", [], (("123", "qd", "ubnd"),))
    assert not holds_phrases("số 123/QĐ-CT và 45/QĐ-UBND", [], (("123", "qd", "ubnd"),))
    assert holds_phrases("trang hai", ["Bùi Thị An"], (("bui", "thi", "an"),))


def test_exact_diacritics_then_proximity_order_pages_inside_a_stage() -> None:
    q = parse_query("Đỗ Ngọc Hòa")
    exact = score(PageView("Họ và tên: ĐỖ NGỌC HÒA"), [], q)
    ocr = score(PageView("Họ và tên: ĐÔ NGỌC HÒA"), [], q)
    apart = score(PageView("ĐỖ văn bản NGỌC trang HÒA"), [], q)
    assert exact > apart > ocr
    assert 0 <= ocr < exact < 1
    motto_only = score(PageView("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), [], parse_query("hoa"))
    assert motto_only == 0.0
