"""The person finder (rag.people) on excerpts copied from the KCNA records (glued words as scraped)."""

from __future__ import annotations

import pytest

from rag.people import (
    PeopleIndex,
    canonical,
    find_people,
    find_places,
    is_korean_name,
    person_in_question,
    variants,
)
from rag.records import Passage


def names(text: str) -> list[str]:
    return [m.surface for m in find_people(text)]


def passage(text: str, date: str | None, source: str = "kcna.json#1") -> Passage:
    return Passage(text, source, None, None, 1, 1, date, None)


# --- variants of one person map to one key --------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Kim Jong Un", "Kim Jong-un", "Kim Jong-Un", "Kim Jongun", "KIM JONG UN", "kim jong un"], "kim jong un"),
        (["Ri Il Hwan", "Lee Il Hwan", "Yi Il-hwan", "RI IL HWAN"], "ri il hwan"),
        (["Choe Son Hui", "Choi Son Hui", "Choe Son-hui", "choe son hui"], "choe son hui"),
        (["Pak Thae Song", "Park Thae Song", "Pak Thae-song"], "pak thae song"),
        (["Jo Yong Won", "Cho Yong Won", "Jo Yong-won"], "jo yong won"),
        (["Ryu Kyong Su", "Yu Kyong Su"], "ryu kyong su"),
        (["Yoon Suk Yeol", "Yun Suk Yeol"], "yun suk yeol"),
    ],
)
def test_spellings_of_one_person_share_a_key(spellings, key):
    assert {canonical(s) for s in spellings} == {key}


def test_every_variant_is_found_in_text_under_the_same_key():
    forms = variants("Kim Jong Un")
    assert {"Kim Jong Un", "Kim Jong-un", "Kim Jongun", "KIM JONG UN"} <= set(forms)
    for form in forms:
        found = find_people(f"The message was sent to {form}, president of the State Affairs of the DPRK.")
        assert [(m.surface, m.key) for m in found] == [(form, "kim jong un")], form


def test_foreign_names_key_on_first_and_last_word_and_known_surnames():
    assert canonical("Vladimir Vladimirovich Putin") == canonical("Putin") == "vladimir putin"
    assert canonical("Bashar Al-Assad") == canonical("Bashar al-Assad") == "bashar assad"
    assert not is_korean_name("Mahmoud Abbas") and is_korean_name("kim yo-jong")


# --- glued raw forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The respected ComradeKim Jong Unvisited Pyongyang Teachers Training College one day", ["Kim Jong Un"]),
        ("A meeting was held to convey the gifts sent byKim Jong Unto labor innovators", ["Kim Jong Un"]),
        ("the message wishedKim Jong Ungood health and success", ["Kim Jong Un"]),
        ("the statues of PresidentKim Il Sungand ChairmanKim Jong Ilon Mansu Hill", ["Kim Il Sung", "Kim Jong Il"]),
        ("the king asked the ambassador to convey his sincere greetings to HEKim Jong Un.", ["Kim Jong Un"]),
        ("-- Kim Tok Hun, primer of the Cabinet, Saturday sent a message of greeting to Hun Manet, prime minister",
         ["Kim Tok Hun", "Hun Manet"]),
    ],
)  # fmt: skip
def test_glued_forms_are_read(text, expected):
    found = find_people(text)
    assert [m.surface for m in found] == expected
    assert all(text[m.start : m.end] == m.surface for m in found)  # offsets point at the name itself


def test_a_glued_tail_is_settled_by_the_names_the_corpus_knows():
    text = "The delegation was greeted byRi Il Hwangave a speech."  # two cuts: "Hwan gave", "Hwang ave"
    assert [m.key for m in find_people(text)] == ["ri il hwang"]
    index = PeopleIndex.build(
        [passage("Ri Il Hwan, secretary of the C.C., WPK, spoke.", "2024-08-01"), passage(text, None)]
    )
    assert index.counts["ri il hwan"] == 2 and "ri il hwang" not in index.counts


# --- institutions and places are not people --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Diplomas were awarded toKim Il SungUniversity, the Kwangchon Chicken Farm and other exemplary units.",
        "A national flag-hoisting ceremony was held atKim Il SungSquare on January 1.",
        "teachers and researchers of Kim Chaek University of Technology",
        "The Kim Chaek Iron and Steel Complex in the DPRK has striven to increase the rolled steel production",
        "provincial football school, Hamhung Choe Hui Suk Teacher Training College and other major projects",
        "the co-chairman of the Board of Directors of theKim Il Sung-Kim Jong IlFoundation, the secretary-general",
        "Students of Mangyongdae Revolutionary School and Kang Pan Sok Revolutionary School launched a campaign",
        "designs of the daily necessities factories in Kim Hyong Jik and Songchon counties",
        "scenic sites on the east coast including Mt. Kumgang, Mt. Chilbo, Majon, Kumya, Ri Won and Yombunjin.",
        "So Kyongru-dong has been kept in the minds of the people. So I convened an enlarged meeting.",
        "the sultan of Brunei Darussalam, the emir of the State of Kuwait, the president of the Swiss Confederation",
        'The young people danced to the tune of songs such as "Our Leader Loved by People".',
        "chief of the General Staff of the Korean People's Army",
    ],
)
def test_no_person_in_institution_and_place_names(text):
    assert names(text) == []


def test_named_after_and_possessive_are_mentions():
    text = "the Belarus Association of Friends of Korean People Named afterKim Il SungandKim Jong Il, the Communist"
    assert names(text) == ["Kim Il Sung", "Kim Jong Il"]
    assert names("the respected General SecretaryKim Jong Un's ideology and leadership") == ["Kim Jong Un"]


def test_one_syllable_given_names_need_a_title_a_role_or_a_list():
    assert names("Present there were Vice-Premiers Pak Jong Gun, Pak Hun, Jon Sung Guk, Jong Myong Su and other") == [
        "Pak Jong Gun",
        "Pak Hun",
        "Jon Sung Guk",
        "Jong Myong Su",
    ]
    assert names("Present were Kim Bom, secretary of the Ryanggang Provincial Committee") == ["Kim Bom"]
    assert names("Manager Ri Hwang and Deputy Manager Ri Kil of the company") == ["Ri Hwang", "Ri Kil"]
    assert names("the Ho Chi Minh City and Hong Kong delegations") == []


def test_foreign_people_after_a_title_before_a_role_or_known():
    assert names("received a message of greeting from Mahmoud Abbas, president of the State of Palestine") == [
        "Mahmoud Abbas"
    ]
    assert names("met and had a talk with Russian Foreign Minister Sergei Lavrov in Moscow on Sept. 17.") == [
        "Sergei Lavrov"
    ]
    assert names("Cambodian King Norodom Sihamoni and Great Queen Norodom Monineath Sihanouk on August 29") == [
        "Norodom Sihamoni",
        "Norodom Monineath Sihanouk",
    ]
    assert names("The reckless military moves of the Zelenskiy puppet clique") == ["Zelenskiy"]


def test_places():
    text = (
        "the roads and railways in Kamho-ri, Kosong County, Kangwon Province and in Tongnae-ri, Panmun District, "
        "Kaesong Municipality. The flood-hit areas of Sinuiju City and Uiju County"
    )
    assert [p.name for p in find_places(text)] == [
        "Kamho-ri",
        "Kosong County",
        "Kangwon",
        "Tongnae-ri",
        "Panmun District",
        "Kaesong",
        "Sinuiju",
        "Uiju",
    ]
    assert [p.name for p in find_places("Pyongyang, August 4 (KCNA) -- Choe Son Hui left for Moscow")] == ["Moscow"]


# --- a person's record over passages ---------------------------------------------------------------

PASSAGES = [
    passage(
        "Pyongyang, September 24 (KCNA) -- Choe Son Hui, foreign minister of the DPRK, and her party returned home "
        "on Monday after taking part in the Fourth Eurasian Women's Forum held in Russia.",
        "2024-09-24",
        "kcna.json#3",
    ),
    passage(
        "Choe Son Hui, foreign minister of the DPRK, met and had a talk with Russian Foreign Minister Sergei Lavrov "
        "in Moscow on Sept. 17.",
        "2024-09-19",
        "kcna.json#2",
    ),
    passage(
        "Kim Tok Hun, premier of the Cabinet, met with Maxim Vladimirovich Ryzhenkov, foreign minister of the "
        "Republic of Belarus, and Choe Son-hui at the Mansudae Assembly Hall.",
        "2024-06-26",
        "kcna.json#1",
    ),
    passage("Choe Son Hui sent a message of greeting to Bassam Sabbagh.", None, "kcna.json#4"),
    passage("The respected ComradeKim Jong Unvisited the flood-hit areas in North Phyongan Province.", "2024-08-10"),
]


def test_report_newest_first_with_spans_spellings_places_and_co_mentions():
    index = PeopleIndex.build(PASSAGES)
    report = index.report("Choe Son Hui")
    assert report.key == "choe son hui" and report.mentions == 4
    assert [a.passage.date for a in report.appearances] == ["2024-09-24", "2024-09-19", "2024-06-26", None]
    for a in report.appearances:
        assert all(a.passage.text[s:e] in ("Choe Son Hui", "Choe Son-hui") for s, e in a.spans)
    assert report.spellings == ["Choe Son Hui", "Choe Son-hui"]
    assert report.first_seen == "2024-06-26" and report.last_seen == "2024-09-24"
    assert report.timeline == {"2024-06": 1, "2024-07": 0, "2024-08": 0, "2024-09": 2}
    assert dict(report.places) == {"Russia": 1, "Moscow": 1, "Belarus": 1}
    assert dict(report.co_mentions) == {"Sergei Lavrov": 1, "Kim Tok Hun": 1, "Maxim Vladimirovich Ryzhenkov": 1}


def test_report_through_any_variant_and_names():
    index = PeopleIndex.build(PASSAGES)
    assert index.report("CHOI SON-HUI").key == index.report("Choe Sonhui").key == "choe son hui"
    assert index.report("Choe Son Hiu").key == "choe son hui"  # a typo, one person that near
    assert index.report("Ryzhenkov").key == "maxim ryzhenkov"  # a foreign surname alone
    assert index.report("Ri Il Hwan") is None and index.report("Choe Son Hun") is None  # well-formed: no guessing
    assert index.report("Kim Jong-un").places == [("North Phyongan", 1)]
    assert index.names()[0] == ("Choe Son Hui", 4)
    assert ("Kim Jong Un", 1) in index.names()


def test_a_south_korean_surname_alone_is_the_one_person_spelt_so():
    texts = [
        "A massive struggle is going on in the puppet ROK to demand the resignation of the puppet Yoon Suk Yeol group",
        "The white paper discloses the fact that ruined Yoon has brought about an era of despair. Yoon has ruined it.",
        "Choe in the message wished the Indonesian foreign minister success.",  # many Choes: nobody
    ]
    index = PeopleIndex.build([passage(t, "2024-10-21") for t in texts] + PASSAGES)
    report = index.report("Yun Suk Yeol")  # named by the full spelling, though "Yoon" alone is commoner
    assert report.name == "Yoon Suk Yeol" and report.spellings == ["Yoon", "Yoon Suk Yeol"] and report.mentions == 3
    assert ("Yoon Suk Yeol", 3) in index.names()
    assert [report.appearances[1].passage.text[s:e] for s, e in report.appearances[1].spans] == ["Yoon", "Yoon"]
    assert index.report("Choe Son Hui").mentions == 4


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Choe Son Hui", "Choe Son Hui"),
        ("choe son-hui?", "Choe Son Hui"),
        ("Foreign Minister Choe Son Hui", "Choe Son Hui"),
        ("Premier Kim Tok Hun", "Kim Tok Hun"),
        ("kim jong-un", "Kim Jong Un"),
        ("Lavrov", "Sergei Lavrov"),
        ("Choe Son Hui visit to Russia", None),
        ("Kim Jong Un flood damage", None),
        ("Kim Il Sung University", None),
        ("Moscow", None),
        ("Who met Sergei Lavrov in Moscow?", None),
        ("Ri Il Hwan", None),  # a name, but nobody of that name is in these passages
    ],
)
def test_person_in_question(question, expected):
    assert person_in_question(question, PeopleIndex.build(PASSAGES)) == expected
