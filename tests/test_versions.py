"""Versions of one story (rag.versions), on real KCNA records
(shared/corpora/kcna-stiles/kcna_en_2023-12-24_2024-11-10.json, copied here by position)."""

from __future__ import annotations

import pytest

from rag import versions
from rag.records import Passage
from rag.versions import VersionDoc, diff_html, documents_from_passages, group_versions, versions_of, word_diff

FILE = "kcna_en_2023-12-24_2024-11-10.json"

# #1894 (Latest News) and #1906 (Home News): one article filed under two topics, two links.
FRY = (
    "Pyongyang, October 31 (KCNA) -- South Hwanghae Province of the DPRK released more than ten million fry into "
    "rivers, lakes and reservoirs.\nSinchon County has put artificial incubation on a sci-tech basis and directed "
    "efforts to ensuring the temperature and quality of water favorable to breeding fry.\nIt also raised the "
    "survival rate of fry by applying digestible mixed feed.\nMeanwhile, a lot of fry were released in Kwail, "
    "Pyoksong and Jaeryong counties, etc. -0-"
)
# #1414, "Construction of Sinpho City Offshore Farm Accelerated in DPRK" (its double spaces kept).
SINPHO = (
    "Pyongyang, October 4 (KCNA) -- The non-permanent central committee for promoting Regional Development 20×10 "
    "Policy in the DPRK is pushing ahead with the  construction of the Sinpho City Offshore Farm.\nThe committee "
    "has confirmed the equipment and materials needed for operation of the farm in  contact with commissions, "
    "ministries and national agencies and has taken measures to secure them.\nIt is taking measures to raise the "
    "employees' technical knowledge and skills.\nIt is promptly acquainting itself with the problems arising in "
    "the supply of building materials and solving them in time.\nA design of building arrangement has been "
    "completed and a project for building the farm as a model of offshore farming is being propelled. -0-"
)
# The same story edited: one sentence reworded, one paragraph added.
SINPHO_EDITED = SINPHO.replace("It is taking measures to raise", "It is running courses to raise").replace(
    "is being propelled. -0-", "is being propelled.\nThe farm will be completed by the end of the year. -0-"
)
# #1249 and #1740: one template, two events (arrival, departure); only the dates and a verb differ.
ARRIVES = (
    "Pyongyang, September 25 (KCNA) -- A home-visiting group of students in their final year at Korean University "
    "of the General Association of Korean Residents in Japan led by Ryu Chang Sun, head of its administrative "
    "department, arrived in Pyongyang by air on Tuesday. -0-"
)
LEAVES = (
    "Pyongyang, October 20 (KCNA) -- A home-visiting group of students in their final year at Korean University "
    "of the General Association of Korean Residents in Japan led by Ryu Chang Sun, head of its administrative "
    "department, left Pyongyang by air on October 19. -0-"
)
# #967 and #975, the same day: greetings from the king of Sweden, and from the president of Singapore.
SWEDEN = (
    "Pyongyang, September 10 (KCNA) --Kim Jong Un, president of the State Affairs of the Democratic People's "
    "Republic of Korea, received a message of greeting from Carl ⅩⅥ Gustaf, king of the Kingdom of Sweden, on "
    "Sept. 9.\nThe message said:\nOn the occasion of the Anniversary of the founding of the Democratic People's "
    "Republic of Korea I wish to convey to Your Excellency my best wishes for the future and for the welfare of "
    "the people of the Democratic People's Republic of Korea. -0-"
)
SINGAPORE = (
    "Pyongyang, September 10 (KCNA) --Kim Jong Un, president of the State Affairs of the Democratic People's "
    "Republic of Korea, received a message of greeting from Tharman Shanmugaratnam, president of the Republic of "
    "Singapore, on Sept. 9.\nThe message said:\nYour Excellency,\nOn behalf of the people of Singapore, I take "
    "great pleasure in conveying to Your Excellency and your people, our warmest congratulations on this "
    "auspicious occasion of the Anniversary of the Founding of the Democratic People's Republic of Korea, and "
    "heartfelt wishes for the continued peace, progress and prosperity of your country. -0-"
)
# #511, unrelated to all of the above.
MOSCOW = (
    "Pyongyang, August 18 (KCNA) -- The DPRK embassy in Moscow hosted a reception on Aug. 16 on the occasion of "
    "the 79th anniversary of Korea's liberation.\nPresent there on invitation were Alexandr Fomin, vice-minister "
    "of Defense of Russia, and personages of the government, political parties, organizations and institutions, "
    "including the Federation Council of Russia, the Foreign Ministry, the Ministry of Defense, the Ministry of "
    "Interior and the Party for Peace and Unity.\nOn hand were the DPRK ambassador to Russia and his embassy "
    "members.\nSpeeches were made there. -0-"
)


def doc(position: int, text: str, date: str, title: str = "t") -> VersionDoc:
    return VersionDoc(f"{FILE}#{position}", title, date, f"http://www.kcna.kp/en/article/{position}.kcmsf", text)


def jaccard(a: str, b: str) -> float:
    sa, sb = versions._shingles(a), versions._shingles(b)
    return len(sa & sb) / len(sa | sb)


def sources(group) -> set[str]:
    return {d.source for d in group.docs}


def test_same_article_under_two_topics_is_one_exact_group():
    groups = group_versions([doc(1894, FRY, "2024-10-31"), doc(1906, FRY.replace("\n", "\n\n"), "2024-10-31")])
    assert len(groups) == 1
    assert groups[0].exact and groups[0].similarity == 1.0
    assert sources(groups[0]) == {f"{FILE}#1894", f"{FILE}#1906"}


def test_edited_copy_is_an_edited_group_and_the_diff_is_the_edit():
    old, new = doc(1414, SINPHO, "2024-10-04"), doc(3000, SINPHO_EDITED, "2024-10-05")
    groups = group_versions([new, old])
    assert len(groups) == 1
    group = groups[0]
    assert not group.exact
    assert [d.source for d in group.docs] == [old.source, new.source]  # oldest first
    assert versions.THRESHOLD <= group.similarity < 1
    changes = [run for run in word_diff(group.docs[0].text, group.docs[1].text) if run[0] != "equal"]
    assert changes == [
        ("delete", "taking measures "),
        ("insert", "running courses "),
        ("insert", "The farm will be completed by the end of the year. "),
    ]


def test_word_diff_gives_both_texts_back():
    runs = word_diff(SINPHO, SINPHO_EDITED)
    assert "".join(text for op, text in runs if op != "delete") == SINPHO_EDITED
    old = "".join(text for op, text in runs if op != "insert")  # equal runs are written as the new text has them
    assert old.split() == SINPHO.split()
    assert word_diff(FRY, FRY) == [("equal", FRY)]
    assert word_diff("", "") == []
    assert word_diff("", "a b") == [("insert", "a b")]


@pytest.mark.parametrize(
    ("first", "second"),
    [(ARRIVES, LEAVES), (SWEDEN, SINGAPORE)],
    ids=["same-template-other-dates", "same-template-other-country"],
)
def test_template_siblings_are_not_versions(first, second):
    # As similar as an edit (the Jaccard alone would group them): the particulars tell them apart.
    assert jaccard(first, second) >= versions.THRESHOLD
    assert group_versions([doc(1, first, "2024-09-10"), doc(2, second, "2024-09-10")]) == []


def test_unrelated_stories_are_not_grouped():
    assert group_versions([doc(1894, FRY, "2024-10-31"), doc(511, MOSCOW, "2024-08-18")]) == []


def test_a_mixed_set_gives_exactly_its_versions():
    docs = [
        doc(1894, FRY, "2024-10-31"),
        doc(1906, FRY, "2024-10-31"),
        doc(1414, SINPHO, "2024-10-04"),
        doc(3000, SINPHO_EDITED, "2024-10-04"),
        doc(1249, ARRIVES, "2024-09-25"),
        doc(1740, LEAVES, "2024-10-20"),
        doc(967, SWEDEN, "2024-09-10"),
        doc(975, SINGAPORE, "2024-09-10"),
        doc(511, MOSCOW, "2024-08-18"),
        VersionDoc("empty.txt", None, None, None, " \n -- "),
    ]
    groups = group_versions(docs)
    assert [(sorted(sources(g)), g.exact) for g in groups] == [
        ([f"{FILE}#1414", f"{FILE}#3000"], False),
        ([f"{FILE}#1894", f"{FILE}#1906"], True),
    ]
    lookup = versions_of(groups)
    assert set(lookup) == {f"{FILE}#1414", f"{FILE}#3000", f"{FILE}#1894", f"{FILE}#1906"}
    assert lookup[f"{FILE}#3000"] is groups[0]


def test_a_chain_of_edits_never_joins_two_different_figures():
    # 120 tons and 150 tons are two stories; the copy with no figure is an edit of either, not a bridge.
    with_120 = SINPHO.replace(" -0-", "\nIt plans to raise 120 tons of fish a year. -0-")
    with_150 = SINPHO.replace(" -0-", "\nIt plans to raise 150 tons of fish a year. -0-")
    groups = group_versions(
        [doc(1, with_120, "2024-10-01"), doc(2, SINPHO, "2024-10-02"), doc(3, with_150, "2024-10-03")]
    )
    assert len(groups) == 1
    assert f"{FILE}#2" in sources(groups[0])
    assert len(groups[0]) == 2


def test_undated_documents_come_last():
    groups = group_versions(
        [VersionDoc("b.txt", None, None, None, FRY), doc(2, FRY, "2024-11-02"), doc(1, FRY, "2024-10-31")]
    )
    assert [d.source for d in groups[0].docs] == [f"{FILE}#1", f"{FILE}#2", "b.txt"]


def passage(text: str, source: str, start: int | None = None, also_in: list[str] | None = None, **meta) -> Passage:
    fields = {"title": None, "date": None, "url": None} | meta
    return Passage(text, source, fields["title"], None, start, start, fields["date"], fields["url"], "", also_in or [])


def test_documents_from_passages_gives_back_a_document_merged_into_another():
    # FRY as two passages of record #1894; record #1906 held the same two, merged into #1894's also_in.
    first, second = FRY.split("\nIt also")
    second = "It also" + second
    a, b = f"{FILE}#1894", f"{FILE}#1906"
    meta = {"title": "Lots of Fry Released", "date": "2024-10-31", "url": "http://kcna.kp/1894"}
    passages = [
        passage(first, a, also_in=[b], **meta),
        passage(MOSCOW, f"{FILE}#511", title="Reception", date="2024-08-18"),
        passage(second, a, also_in=[b], **meta),
    ]
    docs = {d.source: d for d in documents_from_passages(passages)}
    assert set(docs) == {a, b, f"{FILE}#511"}
    assert docs[b].text == docs[a].text == f"{first}\n{second}"
    assert (docs[b].title, docs[b].date, docs[b].url) == ("Lots of Fry Released", "2024-10-31", None)
    assert docs[a].url == "http://kcna.kp/1894"
    groups = group_versions(list(docs.values()))
    assert [(sources(g), g.exact) for g in groups] == [({a, b}, True)]


def test_documents_from_passages_puts_pieces_in_line_order():
    # b.txt ends with a.txt's second paragraph: the merged passage, listed before b.txt's own, is at its lines 9-10.
    passages = [
        passage("Para one.", "a.txt", 1),
        passage("Para two.", "a.txt", 4, also_in=["b.txt, lines 9-10", "c, lines.txt, line 9"]),
        passage("Para three.", "b.txt", 1),
    ]
    docs = {d.source: d for d in documents_from_passages(passages)}
    assert docs["a.txt"].text == "Para one.\nPara two."
    assert docs["b.txt"].text == "Para three.\nPara two."
    assert docs["c, lines.txt"].text == "Para two."


def test_diff_html_escapes_everything():
    old = 'Tom & Jerry said "hi" <b>'
    new = 'Tom & Jerry said "bye" <script>alert(1)</script>'
    out = diff_html(old, new)
    assert "<script>" not in out and "<b>" not in out
    assert out.startswith("Tom &amp; Jerry said ")
    assert "<del>&quot;hi&quot; &lt;b&gt;</del>" in out
    assert "<ins>&quot;bye&quot; &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in out
    assert diff_html("a\nb", "a\nb") == "a\nb"
