"""Who wrote to whom, from questions and from real KCNA openings (rag.messages)."""

from __future__ import annotations

import pytest

from rag.messages import Roles, agrees, question_roles, story_roles

KIM = frozenset({"kim", "jong", "un"})

GREETING = (
    "Pyongyang, September 7 (KCNA) --Kim Jong Un, president of the State Affairs of the Democratic People's "
    "Republic of Korea, received a message of greeting from Bashar Al-Assad, president of the Syrian Arab "
    "Republic, on September 3."
)
REPLY = (
    "Pyongyang, September 17 (KCNA) --Kim Jong Un, president of the State Affairs of the Democratic People's "
    "Republic of Korea, sent a reply message to Bashar Al-Assad, president of the Syrian Arab Republic, on Sept. 16."
)


@pytest.mark.parametrize(
    ("opening", "sender", "recipient"),
    [
        (GREETING, {"bashar", "assad"}, KIM),
        (REPLY, KIM, {"bashar", "assad"}),
        (
            "Pyongyang, August 16 (KCNA) --Kim Jong Un, president of the State Affairs of the DPRK, received a "
            "message of greeting from V. Putin, president of the Russian Federation, on August 13.",
            {"putin"},
            KIM,
        ),
        (
            "Pyongyang, September 7 (KCNA) -- The respected Comrade Kim Jong Un received floral baskets from Sai "
            "Tiejun, honorary vice-chairman of the Board of Directors of the Kim Il Sung-Kim Jong Il Foundation",
            {"sai", "tiejun"},
            KIM,
        ),
        (
            "Pyongyang, August 16 (KCNA) --Kim Jong Un sent a replay message to Vladimir Vladimirovich Putin, "
            "president of the Russian Federation, on August 15.",  # KCNA's own typo: "replay"
            KIM,
            {"vladimir", "vladimirovich", "putin"},
        ),
    ],
)
def test_who_sent_the_story_s_message(opening, sender, recipient):
    roles = story_roles(opening)
    assert (roles.sender, roles.recipient) == (frozenset(sender), frozenset(recipient))


def test_the_story_s_description_of_each_person_is_kept():
    roles = story_roles(GREETING)
    assert {"syrian", "arab", "republic"} <= roles.sender_described
    assert {"democratic", "korea"} <= roles.recipient_described


@pytest.mark.parametrize(
    "opening",
    [
        "Pyongyang, August 21 (KCNA) -- Farms in Ryanggang Province of the DPRK are busy with the harvest.",
        "The U.S. sent F-22 stealth fighters to Hawaii.",  # no message
        "Kim Jong Un sent a message of greeting from the capital.",  # sent ... from: no direction to read
    ],
)
def test_no_roles_without_a_message_exchange(opening):
    assert not story_roles(opening)


@pytest.mark.parametrize(
    ("question", "sender", "recipient"),
    [
        ("What did Bashar al-Assad wish for North Korea in his greetings on its 76th founding anniversary?",
         {"bashar", "assad"}, set()),
        ("Which Russian party leader sent Kim Jong Un a greeting for Liberation Day?", {"russian"}, KIM),
        ("What did the Syrian president congratulate Kim on?", {"syrian"}, set()),
        ("What greetings did Kim receive from the president of Syria?", {"syria"}, {"kim"}),
        ("What did Kim say in his reply to the Lao party leader?", {"kim"}, {"lao"}),
        ("Whom did Putin's August 2024 Liberation Day message say both nations honour?", {"putin"}, set()),
        ("With what phrase did the Vietnamese leader close his reply message to Kim Jong Un?", set(), KIM),
        ("How did Xi Jinping describe the friendship in his message marking 75 years of ties?", {"xi", "jinping"},
         set()),
        ("In which fields did Choe Son Hui's October 2024 message to Wang Yi say they cooperated?",
         {"choe", "son", "hui"}, {"wang", "yi"}),
        ("What did Kim Jong Un send to Putin?", KIM, {"putin"}),
        ("Which company made an antivirus program?", set(), set()),
        ("Why is North Korea's science cooperation mostly with China?", set(), set()),
    ],
)  # fmt: skip
def test_who_the_question_says_sent_it(question, sender, recipient):
    assert question_roles(question) == Roles(frozenset(sender), frozenset(recipient))


LAO_GREETING = (
    "Pyongyang, September 9 (KCNA) -- The respected Comrade Kim Jong Un received a message of greeting from "
    "Thongloun Sisoulith, general secretary of the Central Committee of the Lao People's Revolutionary Party "
    "and president of the Lao People's Democratic Republic."
)
LAO_REPLY = (
    "Pyongyang, September 18 (KCNA) -- The respected Comrade Kim Jong Un sent a reply message to Thongloun "
    "Sisoulith, general secretary of the Central Committee of the Lao People's Revolutionary Party."
)


@pytest.mark.parametrize(
    ("question", "greeting", "reply"),
    [
        ("What did the Syrian president congratulate Kim on?", GREETING, REPLY),
        ("Which Arab head of state sent greetings to Kim Jong Un?", GREETING, REPLY),
        ("What greetings did Kim receive from the president of Syria?", GREETING, REPLY),
        ("What did the Laotian party leader write to Kim Jong Un?", LAO_GREETING, LAO_REPLY),
        ("What did the Laos leader's message to Kim say?", LAO_GREETING, LAO_REPLY),
    ],
)
def test_a_person_described_by_country_and_title_is_matched(question, greeting, reply):
    """A question that describes the sender ("the Syrian president") rather than naming them is
    matched against the description the story prints beside the name, a country's adjective
    standing for its name."""
    roles = question_roles(question)
    assert agrees(roles, story_roles(greeting))
    assert not agrees(roles, story_roles(reply))


def test_the_reply_to_a_described_person_is_told_from_their_greeting():
    roles = question_roles("What did Kim say in his reply to the Syrian president?")
    assert agrees(roles, story_roles(REPLY)) and not agrees(roles, story_roles(GREETING))


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Syrian", "Syria", True), ("Belarusian", "Belarus", True), ("Vietnamese", "Vietnam", True),
        ("Chinese", "China", True), ("Laotian", "Laos", True), ("Turkmen", "Turkmenistan", True),
        ("Pakistani", "Pakistan", True), ("Egyptian", "Egypt", True),
        ("Iraqi", "Iran", False), ("Austrian", "Australia", False), ("Indian", "Indonesia", False),
        ("Slovak", "Slovenia", False), ("Russian", "Syrian", False),
    ],
)  # fmt: skip
def test_a_country_s_adjective_stands_for_it_and_for_no_other(one, other, same):
    story = story_roles(f"Kim Jong Un received a message of greeting from the president of the {other} Republic.")
    assert agrees(question_roles(f"What did the {one} president write in his message?"), story) is same


def test_a_greeting_and_the_reply_to_it_are_told_apart():
    by_assad = question_roles("What did Bashar al-Assad wish for the DPRK in his greetings?")
    assert agrees(by_assad, story_roles(GREETING))
    assert not agrees(by_assad, story_roles(REPLY))
    to_kim = question_roles("Which Arab president sent Kim Jong Un a greeting?")
    assert agrees(to_kim, story_roles(GREETING)) and not agrees(to_kim, story_roles(REPLY))
    by_kim = question_roles("What did Kim Jong Un thank Assad for in his reply message?")
    assert agrees(by_kim, story_roles(REPLY)) and not agrees(by_kim, story_roles(GREETING))


def test_a_name_matches_only_the_person_it_names():
    """ "Kim Jong Un" is not Kim Yo Jong, though two of its words are hers; "Putin" is V. Putin."""
    yo_jong = story_roles("Kim Yo Jong sent a message of sympathy to the family of the late hero.")
    assert not agrees(question_roles("What did Kim Jong Un write in his message of sympathy?"), yo_jong)
    assert agrees(question_roles("What did Kim Yo Jong write in her message of sympathy?"), yo_jong)
    assert not agrees(Roles(), story_roles(GREETING))  # a question that names no one boosts nothing


XI_GREETING = (
    "Pyongyang, September 9 (KCNA) -- Kim Jong Un received a message of greeting from Xi Jinping, general "
    "secretary of the Central Committee of the Communist Party of China, on the 76th founding anniversary."
)
XI_REPLY = (
    "Pyongyang, September 18 (KCNA) -- Kim Jong Un sent a reply message to Xi Jinping, general secretary of "
    "the Central Committee of the Communist Party of China."
)


@pytest.mark.parametrize(
    "question",
    [
        "What did Kim Jong Un say in his reply to Xi Jinping's greetings?",
        "In his reply to Xi Jinping's birthday greetings, what did Kim call the wish of both peoples?",
        "How did Kim answer Xi Jinping's message?",
        "What did Kim write in response to Xi's greetings?",
    ],
)
def test_a_reply_to_someone_s_greeting_is_a_message_to_them(question):
    """The person whose greeting is replied to is the reply's recipient, not a sender."""
    roles = question_roles(question)
    assert roles.recipient <= {"xi", "jinping"} and roles.recipient and not roles.sender
    assert agrees(roles, story_roles(XI_REPLY)) and not agrees(roles, story_roles(XI_GREETING))
