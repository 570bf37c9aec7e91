"""The generic line decision (tasks/clean/generic.py): classes, smoothing, and what it never does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.clean.generic import (
    BAD,
    GOOD,
    NEARGOOD,
    SHORT,
    classify,
    decide,
    features,
    stopwords,
)

PROSE = {
    "en": "The ministry said on Tuesday that the new road between the two towns would be opened to traffic before the end of the year, and that work on the bridge was going well.",
    "az": "Nazirlik bildirib ki, iki şəhər arasında yeni yol ilin sonuna qədər istifadəyə veriləcək və körpünün tikintisi də plana uyğun olaraq davam edir.",
    "ru": "В министерстве сообщили, что новая дорога между двумя городами будет открыта для движения до конца года, а строительство моста идёт по плану.",
    "tr": "Bakanlık, iki şehir arasındaki yeni yolun yıl sonundan önce trafiğe açılacağını ve köprü inşaatının da plana uygun şekilde devam ettiğini açıkladı.",
}


def test_stop_lists_of_the_four_languages_are_loaded():
    masks = stopwords()
    for word, bit in (("the", 2), ("və", 0), ("что", 1), ("ve", 3)):
        assert masks[word] & (1 << bit), word


def test_prose_of_each_language_is_good_in_its_own_language():
    for lang, text in PROSE.items():
        f = features(text)
        assert classify(f) == GOOD, (lang, f)
        assert f.language == lang or (lang, f.language) in {("tr", "az"), ("az", "tr")}


def test_classes_of_typical_lines():
    assert classify(features("Politics")) == SHORT
    assert classify(features("He said the talks went well.")) == NEARGOOD
    names = (
        "Anar Mammadov, Leyla Hasanova, Rauf Aliyev, Nigar Guliyeva, Tural Huseynov, Samir Karimov"
    )
    assert classify(features(names)) == BAD


def _decided(lines, bad=(), good=()):
    return [
        "blank" if not x.strip() else BAD if i in bad else GOOD if i in good else None
        for i, x in enumerate(lines)
    ]


def test_short_line_between_boilerplate_is_removed():
    lines = ["Share", "In Focus", "Comments"]
    assert decide(lines, _decided(lines, bad={0, 2})) == {1: "generic_context"}


def test_label_after_the_article_next_to_boilerplate_is_removed():
    lines = [PROSE["en"], "In Focus", "- 12 May 2024, 10:00"]
    assert decide(lines, _decided(lines, bad={2})) == {1: "generic_label"}


def test_list_line_next_to_boilerplate_is_removed():
    names = (
        "Anar Mammadov, Leyla Hasanova, Rauf Aliyev, Nigar Guliyeva, Tural Huseynov, Samir Karimov"
    )
    lines = [PROSE["en"], "", names, "Tags:"]
    assert decide(lines, _decided(lines, bad={3})) == {2: "generic_list"}


def test_lines_between_two_paragraphs_are_kept_whatever_they_are():
    names = (
        "Anar Mammadov, Leyla Hasanova, Rauf Aliyev, Nigar Guliyeva, Tural Huseynov, Samir Karimov"
    )
    lines = [PROSE["en"], "Background", names, "USD 1.7", PROSE["ru"]]
    assert decide(lines, _decided(lines)) == {}


def test_decided_lines_are_never_touched():
    lines = ["Share", "Politics", "Comments"]
    assert decide(lines, _decided(lines, bad={0, 2}, good={1})) == {}


def test_page_edges_count_as_content_unless_told_otherwise():
    lines = ["Politics", PROSE["az"], "Politics"]
    assert decide(lines, _decided(lines)) == {}
    assert decide(lines, _decided(lines), top=BAD, bottom=BAD) == {
        0: "generic_label",
        2: "generic_label",
    }


def test_a_short_phrase_next_to_boilerplate_is_not_a_label():
    lines = [PROSE["ru"], "Вход свободный", "Share"]
    assert decide(lines, _decided(lines, bad={2})) == {}


line_text = st.one_of(
    st.sampled_from(
        [*PROSE.values(), "Politics", "USD 1.7", "Leave a review", "", "•", "Bakı 11°C"]
    ),
    st.text(min_size=0, max_size=120),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(line_text, st.sampled_from([None, GOOD, BAD])), max_size=25))
def test_only_unknown_lines_are_removed_and_never_between_good_ones(rows):
    lines = [t for t, _ in rows]
    decided = ["blank" if not t.strip() else s for t, s in rows]
    out = decide(lines, decided)
    assert all(decided[i] is None for i in out)
    assert set(out.values()) <= {"generic_context", "generic_label", "generic_list"}
    for i in out:  # never between two good neighbours (decided good or good by features)
        prev = [k for k in range(i) if decided[k] == GOOD or _good(lines[k], decided[k])]
        nxt = [
            k for k in range(i + 1, len(lines)) if decided[k] == GOOD or _good(lines[k], decided[k])
        ]
        bad_before = [k for k in range(i) if decided[k] == BAD]
        bad_after = [k for k in range(i + 1, len(lines)) if decided[k] == BAD]
        nearest_prev_good = not bad_before or (bool(prev) and prev[-1] > bad_before[-1])
        nearest_next_good = not bad_after or (bool(nxt) and nxt[0] < bad_after[0])
        assert not (nearest_prev_good and nearest_next_good)


def _good(text: str, state) -> bool:
    return state is None and bool(text.strip()) and classify(features(text)) in (GOOD, NEARGOOD)


@settings(max_examples=100, deadline=None)
@given(st.lists(line_text, max_size=20))
def test_a_page_of_prose_paragraphs_loses_nothing(extra):
    lines = [PROSE["en"], *[x for x in extra if classify(features(x)) != BAD], PROSE["az"]]
    # lines between two good paragraphs, with no boilerplate decided anywhere: all kept
    decided = ["blank" if not x.strip() else None for x in lines]
    assert decide(lines, decided) == {}
