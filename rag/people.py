"""People named in KCNA text, found without a model, and each person's record over the passages.

Korean names in English text are regular: a known surname and one or two given-name syllables
("Kim Jong Un", "Choe Son Hui", "Pak Hun"). A syllable is checked by its shape (initial, vowel,
final of McCune-Reischauer or Revised romanisation), so people no list holds are found too. Two
syllables make a name; one ("Pak Hun", "Kim Bom") only after a title, before ", <role>" or in a
list with another name, because "Hong Kong" and "Ri Won" are places. The scrape's glued forms are
read as written ("ComradeKim Jong Unvisited", "toKim", "Kim Il SungSquare"); offsets point at the
name itself in the text given. Foreign people are a bonus: a capitalised run after a title
("President Vladimir Putin"), before ", <role>" ("Mahmoud Abbas, president of ..."), or a
well-known surname ("Zelenskiy"). A PeopleIndex also counts a surname alone in a South Korean
spelling ("ruined Yoon") as the one person it has seen so spelt (Yoon Suk Yeol); a surname alone
in the DPRK spelling ("Choe in the message") stays unattributed: too many people share it.

Decision, kept throughout: a name used as part of a proper noun -- followed by University,
Square, Foundation, Mill, City, School, ... ("Kim Il Sung University", "Kim Chaek City", "Kim Il
Sung-Kim Jong Il Foundation", "Kang Pan Sok Revolutionary School") -- names an institution or a
place, not the person, and is no mention. A possessive ("Kim Il Sung's birthplace") and "named
after Kim Il Sung" are mentions."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag.records import Passage


def _words(text: str, sep: str | None = None) -> list[str]:
    return text.split(sep)


def _set(text: str) -> set[str]:
    return set(text.split())


_GROUPS = _words(  # canonical surname:its spellings, DPRK first
    "kim:Kim,Gim ri:Ri,Lee,Yi,Rhee pak:Pak,Park,Bak choe:Choe,Choi,Chwe jo:Jo,Cho jong:Jong,Jeong,Jung,Chung "
    "jon:Jon,Jeon,Chun chon:Chon,Cheon kang:Kang,Gang han:Han hong:Hong ryu:Ryu,Yu,Yoo pyon:Pyon,Byun,Byon "
    "thae:Thae,Tae hyon:Hyon,Hyun,Hyeon so:So,Seo,Suh o:O,Oh kwon:Kwon,Gwon yun:Yun,Yoon ju:Ju,Joo,Chu ko:Ko,Koh,Go "
    "mun:Mun,Moon min:Min paek:Paek,Baek,Paik sin:Sin,Shin song:Song,Sung,Seong chae:Chae,Chai kye:Kye,Gye "
    "tong:Tong,Dong hwang:Hwang ma:Ma no:No,Noh,Ro,Roh rim:Rim,Lim,Im ryang:Ryang,Yang ryom:Ryom,Yeom,Yom "
    "ryo:Ryo,Yeo jang:Jang,Chang cha:Cha phyo:Phyo,Pyo wi:Wi,Wee sok:Sok,Seok kil:Kil,Gil pang:Pang,Bang "
    "om:Om,Eom,Um son:Son,Sohn won:Won yon:Yon,Yeon an:An,Ahn pae:Pae,Bae ham:Ham kwak:Kwak nam:Nam jin:Jin "
    "ok:Ok ha:Ha ra:Ra,Na sim:Sim,Shim ku:Ku,Koo ji:Ji tak:Tak kong:Kong,Gong ho:Ho,Heo,Hur maeng:Maeng kyong:Kyong"
)
SPELLINGS = {g: vs.split(",") for g, vs in (item.split(":") for item in _GROUPS)}
SURNAMES = {v: g for g, vs in SPELLINGS.items() for v in vs}  # spelling -> canonical surname
_QUERY_ONLY = {"Go", "Um", "Ma", "Na"}  # English words or rare: read in a question, not in text
_SYLLABLE = re.compile(
    r"(?:kk|kh|k|g|n|tt|th|t|d|r|l|m|pp|ph|p|b|ss|sh|s|ch|jj|j|h)?"
    r"(?:wae|wa|we|wi|wo|yae|yeo|ya|ye|yo|yu|ae|eo|eu|ee|oe|oo|ui|a|e|i|o|u)(?:ng|n|l|m|p|k|b|g)?",
    re.IGNORECASE,
)
_NOT_GIVEN = _set("The Of And A I To By At Be He We Me Up Am Go Ye")
LEADERS = ("Kim Il Sung", "Kim Jong Il", "Kim Jong Un", "Kim Jong Suk", "Kim Yo Jong", "Kim Hyong Jik", "Kang Pan Sok")
TITLES = _set(
    "Comrade Marshal Generalissimo Premier Premiers Minister Ministers Chairman Chairwoman Chairperson Secretary "
    "Secretaries Director President Ambassador General Manager Deputy Chief Commander Professor Dr Mr Mrs "
    "Ms King Queen Prince Princess Emir Sultan Sheikh Speaker Chancellor Envoy Governor Senator Mayor Pope "
    "Excellency Leader Counsellor Colonel"
)
INSTITUTION = _set(  # after a name, makes it part of an institution's or a place's name
    "University Universities Square Foundation Mill Textile Silk Factory Complex Works Plant Mine Combine Iron "
    "Revolutionary School College Academy Institute Teacher Teachers Hospital Stadium Hall Museum Library "
    "Theatre Park Street Bridge Station Farm Prize Order Medal Award Cup Guards Military Naval Political Youth "
    "Socialist League Mausoleum Memorial Palace Kindergarten County City Province District Area Islet Island Port"
)
# capitalised words that are no part of a foreign person's name
_NON_NAME = _set(
    "January February March April May June July August September October November December Monday "
    "Tuesday Wednesday Thursday Friday Saturday Sunday Korea Korean Koreans Juche Party Committee Central "
    "Association Council Ministry Organization Federation Republic Kingdom State States Union Front Group "
    "Movement Bureau Department Agency Embassy Company Assembly Congress Army Forces Government Staff The "
    "His Her Your Our Their This That These It In On At As For With From By And But After Before When While "
    "Present Accompanying Meanwhile Russian Chinese Japanese American Cuban Vietnamese Lao Syrian Iranian "
    "Belarusian Cambodian Mongolian Indonesian Palestinian Israeli Ukrainian Egyptian Foreign Prime First "
    "Vice Great Supreme Democratic People's Socialist Communist Workers' Respected Dear Comrades Rodong "
    "Sinmun Minju Joson Extraordinary Plenipotentiary New Idea Executive Lieutenant Senior Honorary Acting"
)
_NON_NAME |= INSTITUTION | TITLES
KNOWN_FOREIGN = _words(  # world leaders of the time, found by their surname alone
    "Vladimir Putin|Sergei Lavrov|Sergei Shoigu|Andrei Belousov|Dmitry Medvedev|Dmitry Peskov|Maria Zakharova|"
    "Mikhail Mishustin|Alexander Lukashenko|Joe Biden|Antony Blinken|Donald Trump|Fumio Kishida|Shigeru Ishiba|"
    "Benjamin Netanyahu|Volodymyr Zelenskiy|Antonio Guterres|Jens Stoltenberg|Mark Rutte|Recep Erdogan|Ebrahim Raisi|"
    "Masoud Pezeshkian|Nicolas Maduro|Narendra Modi|Emmanuel Macron|Olaf Scholz|Bashar al-Assad|Xi Jinping|"
    "Miguel Diaz-Canel|Thongloun Sisoulith|Norodom Sihamoni",
    "|",
)
_BY_SURNAME = {re.sub(r"^(?:al|el)-", "", n.split()[-1]): n for n in KNOWN_FOREIGN}
_BY_SURNAME |= {"Zelensky": _BY_SURNAME["Zelenskiy"], "Zelenskyy": _BY_SURNAME["Zelenskiy"]}
GAZETTEER = _words(  # DPRK provinces, cities and sites, then foreign countries and capitals
    "North Phyongan|South Phyongan|North Hwanghae|South Hwanghae|Kangwon|North Hamgyong|South Hamgyong|Ryanggang|"
    "Jagang|Rason|Pyongyang|Nampho|Kaesong|Hamhung|Chongjin|Wonsan|Sinuiju|Kimchaek|Kim Chaek City|Hyesan|Kanggye|"
    "Haeju|Sariwon|Phyongsong|Tanchon|Anju|Kaechon|Tokchon|Sunchon|Huichon|Manpho|Songrim|Hoeryong|Munchon|Uiju|"
    "Samjiyon|Mangyongdae|Kumsusan Palace of the Sun|Mansu Hill|Kim Il Sung Square|Mt Paektu|Mt Kumgang|Mt Chilbo|"
    "Mt Myohyang|Kalma|Masikryong|Panmunjom|Hwasong|Taedong River|Ri Won|Russia|Moscow|Vladivostok|Khabarovsk|China|"
    "Beijing|Shenyang|Dandong|Hong Kong|Japan|Tokyo|Seoul|Vietnam|Hanoi|Laos|Vientiane|Cuba|Havana|Belarus|Minsk|"
    "Iran|Tehran|Syria|Damascus|Ukraine|Kiev|Kyiv|Israel|Gaza|Palestine|Lebanon|Egypt|Cairo|Mongolia|Ulaanbaatar|"
    "Cambodia|Phnom Penh|Indonesia|Jakarta|India|Pakistan|Nepal|Myanmar|Thailand|Bangkok|Singapore|Malaysia|"
    "Philippines|Kazakhstan|Astana|Uzbekistan|Kyrgyzstan|Azerbaijan|Turkey|Qatar|Kuwait|Bahrain|Saudi Arabia|Iraq|"
    "Algeria|Libya|Nigeria|Ethiopia|South Africa|Tanzania|Uganda|Equatorial Guinea|Brazil|Venezuela|Nicaragua|"
    "Bolivia|Mexico|Peru|Chile|Germany|Berlin|France|Paris|Britain|London|Italy|Rome|Spain|Sweden|Switzerland|Norway|"
    "Denmark|Poland|Romania|Bulgaria|Serbia|Australia|New Zealand|Canada|Washington|New York|United States|Europe|"
    "Asia|Africa|Middle East",
    "|",
)
# Patterns start with a literal or a letter class, not a look-behind, so that re scans fast;
# the letter before a match is checked in code (_starts_word).
_GAZETTEER = re.compile(
    "(?:"
    + "|".join(sorted((g.replace(" ", " ?").replace("Mt ?", r"Mt\.? ?") for g in GAZETTEER), key=len, reverse=True))
    + ")(?![a-z])"
)
_PLACE_TAIL = re.compile(r" (?:County|City|Province|District|Municipality|Islet|Island|Port)(?![a-z])|-(?:ri|dong)\b")
_PLACE_HEAD = re.compile(r"(?:(?:[A-Z][a-z]+ )?[A-Z][a-z]+|Mt\.?)$")
_PLACES_TAIL = re.compile(r" (?:counties|cities|districts)\b")  # "Kim Hyong Jik and Songchon counties"
_PLACES_HEAD = re.compile(r"(?:[A-Z][a-z]+(?: [A-Z][a-z]+)*(?:, |,? and ))+[A-Z][a-z]+(?: [A-Z][a-z]+)*$")
_TITLE_HEADS = TITLES | {"Vice", "Deputy"}
_DATELINE = re.compile(r", \w+\.? \d+ \(KCNA\)")
_SURNAME = re.compile("(" + "|".join(sorted(set(SURNAMES) - _QUERY_ONLY, key=len, reverse=True)) + r")(?= [A-Z])")
_CAPS = re.compile("(?:" + "|".join(s.upper() for s in SURNAMES) + r")(?:[ -][A-Z]{1,6}){1,2}(?![A-Za-z])")
_GIVEN = re.compile(r" ([A-Z][a-z]*)(?:-([A-Za-z][a-z]*))?")
_SECOND = re.compile(r" ([A-Z][a-z]*)")
_NEXT = re.compile(r"(?: |-|(?=[A-Z]))([A-Z][a-z]+)")
_LIST_GAP = re.compile(r"(?:, |,? and )")
_PART = r"(?:(?:al|el|ad|as)-)?[A-Z][a-z]+(?:-[A-Za-z][a-z]+)*"
_RUN = re.compile(
    rf"[A-Z][a-z]+(?:-[A-Za-z][a-z]+)*(?: (?:(?:bin|ibn|de|da|di|van|von|der|del|la|le) )?(?:{_PART}|[A-Z]\.))*"
)
_ROLE = re.compile(  # an appositive that says what a person is: ", president of ...", ", Russian ambassador"
    r", (?:an? )?(?:(?:[A-Z][a-z]+|first|former|acting|honorary|special|senior|executive|permanent|international "
    r"affairs|co-) )?(?:president|prime|minister|vice[- ]|foreign|king|queen|emir|sultan|general secretary|secretary|"
    r"chair|ambassador|charg|deputy|head|leader|director|premier|speaker|chief|member|spokes|governor|mayor|"
    r"representative|envoy|commander|advis|analyst|professor|founder|general)"
)


@dataclass(frozen=True)
class Mention:
    """A person named in a text: the name as written, its canonical key and where it stands."""

    surface: str
    key: str
    start: int
    end: int
    korean: bool = True
    guessed: bool = False  # a glued tail cut with no known name to go by ("Ungave": "Un gave" or "Ung ave"?)


@dataclass(frozen=True)
class Place:
    """A place named in a text: "Kosong County", "Kangwon" (for Kangwon Province), "Moscow"."""

    name: str
    start: int
    end: int


def _starts_word(text: str, at: int) -> bool:
    """A name may start here: after a non-letter, or glued after a lower-case word ("toKim") or
    after two capitals ("HEKim", His Excellency)."""
    return at == 0 or not text[at - 1].isalpha() or text[at - 1].islower() or text[at - 2 : at].isupper()


def _syllable(word: str) -> bool:
    return bool(_SYLLABLE.fullmatch(word))


def _pair(word: str) -> list[str] | None:
    """A glued pair of syllables, split at its longest first one: "Jongun" -> [jong, un]."""
    w = word.lower()
    cut = next((c for c in range(len(w) - 1, 0, -1) if _syllable(w[:c]) and _syllable(w[c:])), None)
    return [w[:cut], w[cut:]] if cut else None


def _parse(view: str, s: int, e: int, known: set[str] | None) -> tuple[list[str], int, bool] | None:
    """The given-name syllables after the surname view[s:e], where the name ends, and whether a glued
    tail was cut by guess. A given word is a syllable ("Jong"), a hyphened pair ("Jong-un") or, for a
    known name or a question (known=None), a glued pair ("Jongun"). The second syllable may carry a
    glued word ("Unvisited") when the name is known or glued on its left too ("byKim"), as the scrape
    glues: else "Kim Chaek University" would be "Kim Chaek Un" + "iversity"."""
    m = _GIVEN.match(view, e)
    if not m or m.group(1) in _NOT_GIVEN:
        return None
    first, tail, head = m.group(1), m.group(2), f"{SURNAMES[view[s:e]]} {m.group(1).lower()}"
    if tail is not None:
        return ([first.lower(), tail.lower()], m.end(), False) if _syllable(first) and _syllable(tail) else None
    if not _syllable(first):
        pair = _pair(first)
        ok = pair and (known is None or f"{SURNAMES[view[s:e]]} {' '.join(pair)}" in known)
        return (pair, m.end(), False) if ok else None
    second = _SECOND.match(view, m.end())
    if not second or (second.group(1) in _NOT_GIVEN and second.group(1) != "A"):
        return [first.lower()], m.end(), False
    word = second.group(1)
    if _syllable(word):
        return [first.lower(), word.lower()], second.end(), False
    cuts = [c for c in range(1, len(word) - 1) if _syllable(word[:c])]
    known_cut = [c for c in cuts if known and f"{head} {word[:c].lower()}" in known]
    if not known_cut and not (cuts and s and view[s - 1].islower()):
        return [first.lower()], m.end(), False
    cut = (known_cut or cuts)[-1]
    return [first.lower(), word[:cut].lower()], second.start() + 1 + cut, not known_cut and len(cuts) > 1


def _institution(view: str, end: int) -> bool:
    """Whether the name ending at `end` is part of a proper noun ("Kim Il Sung University"); in a
    title-case line ("Kim Jong Un Inspects Farm") only the very next word counts."""
    line = view[view.rfind("\n", 0, end) + 1 : (view.find("\n", end) + 1 or len(view) + 1) - 1]
    long_words = re.findall(r"[A-Za-z]{4,}", line)
    title_case = len(long_words) > 4 and sum(w[0].isupper() for w in long_words) > 0.7 * len(long_words)
    at = end
    for _ in range(1 if title_case else 4):
        m = _NEXT.match(view, at)
        if m and view[at] == "-" and m.group(1) in SURNAMES:  # "Kim Il Sung-Kim Jong Il Foundation"
            chained = _parse(view, m.start(1), m.end(1), set())
            at = chained[1] if chained else m.end()
            continue
        if not m or (view[at] == " " and m.group(1) in SURNAMES):
            return False
        if m.group(1) in INSTITUTION:
            return True
        at = m.end()
    return False


def find_people(text: str, known: Iterable[str] = ()) -> list[Mention]:
    """Every person named in `text`, in order. `known` canonical keys ("kim jong un") settle glued
    forms; the leaders are always known."""
    known = {k.lower() for k in known} | _LEADER_KEYS
    view = _CAPS.sub(lambda m: m.group().title(), text) if _CAPS.search(text) else text
    places = [(p.start, p.end) for p in find_places(text)]
    strong: list[Mention] = []
    single: list[tuple[Mention, bool]] = []
    after = 0  # a surname inside the name just read ("Kim Jong Un": "Jong") starts no name
    for m in _SURNAME.finditer(view):
        parsed = (
            _parse(view, m.start(), m.end(), known) if m.start() >= after and _starts_word(view, m.start()) else None
        )
        if not parsed:
            continue
        (given, end, guessed), after = parsed, parsed[1]
        if _institution(view, end) or any(a <= m.start() < b or a < end <= b for a, b in places):
            continue
        mention = Mention(
            text[m.start() : end], f"{SURNAMES[m.group(1)]} {' '.join(given)}", m.start(), end, True, guessed
        )
        if len(given) == 2:
            strong.append(mention)
        elif not _SECOND.match(view, end):  # "Ho Chi Minh" is no "Ho Chi"
            before = re.search(r"([A-Za-z]+)(?:-[a-z]+)? ?$", view[max(0, m.start() - 30) : m.start()])
            single.append((mention, bool(before and before.group(1) in TITLES) or bool(_ROLE.match(view, end))))
    changed = True
    while changed:  # one syllable only with a title, a role, or next to an accepted name in a list
        changed = False
        ends, starts = {x.end for x in strong}, {x.start for x in strong}
        for mention, sure in single:
            gap_before = _LIST_GAP.search(text, max(0, mention.start - 6), mention.start)
            gap_after = _LIST_GAP.match(text, mention.end)
            if mention.start not in starts and (
                sure
                or (gap_before and gap_before.end() == mention.start and gap_before.start() in ends)
                or (gap_after and gap_after.end() in starts)
            ):
                strong.append(mention)
                starts.add(mention.start)
                changed = True
    return sorted(strong + _foreign(text, strong, places), key=lambda x: x.start)


def _foreign(text: str, korean: list[Mention], places: list[tuple[int, int]]) -> list[Mention]:
    """Non-Korean people: a capitalised run after a title, before ", <role>" (not after "of": "the
    sultan of Brunei Darussalam, the emir"), or a known surname; none inside quotes (song titles)."""
    out, taken = [], [*places, *((k.start, k.end) for k in korean)]
    for m in _RUN.finditer(text):
        words, start, end = m.group().split(" "), m.start(), m.end()
        if not _starts_word(text, start) or (
            words[-1] not in _BY_SURNAME
            and not text.startswith(", ", end)
            and not any(w.split("-")[0] in _TITLE_HEADS for w in words)
        ):
            continue
        titled = False
        while words and (words[0] in _NON_NAME or words[0].split("-")[0] in _TITLE_HEADS):
            titled = titled or words[0].split("-")[0] in _TITLE_HEADS
            start += len(words.pop(0)) + 1
        if not words or words[0] in SURNAMES or any(w in _NON_NAME or w.isupper() for w in words if w[1:] != "."):
            continue
        if any(a < end and start < b for a, b in taken):
            continue
        quoted = text.count('"', text.rfind("\n", 0, start) + 1, start) % 2  # a song: "Our Leader Loved by People"
        after_of = re.search(r"\b(?:of|for|the) $", text[max(0, start - 5) : start])
        role = len(words) > 1 and not after_of and _ROLE.match(text, end)
        if (titled and not quoted) or words[-1] in _BY_SURNAME or role:
            out.append(Mention(text[start:end], canonical(text[start:end]), start, end, korean=False))
    return out


def find_places(text: str) -> list[Place]:
    """Places named in `text`: the gazetteer, "X County/City/Province/District/...", "X-ri", "X-dong";
    the dateline ("Pyongyang, May 1 (KCNA)") is left out."""
    out = [
        Place(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", m.group().replace("Mt.", "Mt")), m.start(), m.end())
        for m in _GAZETTEER.finditer(text)
        if _starts_word(text, m.start()) and not _DATELINE.match(text, m.end())
    ]
    for m in _PLACE_TAIL.finditer(text):
        head = _PLACE_HEAD.search(text, max(0, m.start() - 40), m.start())
        if not head or any(p.start <= head.start() < p.end or head.start() <= p.start < m.end() for p in out):
            continue
        words = head.group().split()
        start = head.start() + (len(words[0]) + 1 if len(words) > 1 and words[0] in _NON_NAME else 0)
        out.append(Place(text[start : m.end()], start, m.end()))
    for m in _PLACES_TAIL.finditer(text):
        head = _PLACES_HEAD.search(text, max(0, m.start() - 80), m.start())
        for part in re.finditer(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", head.group() if head else ""):
            at = head.start() + part.start()
            kind = m.group()[1:-1].replace("ie", "y").title()  # counties -> County
            if not any(p.start <= at < p.end for p in out):
                out.append(Place(f"{part.group()} {kind}", at, at + len(part.group())))
    return sorted(out, key=lambda p: p.start)


def _korean(name: str) -> list[str] | None:
    """[canonical surname, syllables...] when the whole of `name` is one Korean name, in any case."""
    view = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    m = re.match(r"[A-Za-z]+(?= )", view)
    parsed = _parse(view, 0, m.end(), None) if m and m.group() in SURNAMES else None
    return [SURNAMES[m.group()], *parsed[0]] if parsed and parsed[1] == len(view) else None


def is_korean_name(name: str) -> bool:
    """Whether the whole of `name` is one Korean name ("kim jong-un" is; "Kim Il Sung University" is not)."""
    return _korean(name) is not None


def canonical(name: str) -> str:
    """A stable key: "kim jong un" for Kim Jong Un, Kim Jong-un, KIM JONG UN, Kim Jongun; "ri il hwan"
    for Lee Il Hwan; "vladimir putin" for Vladimir Vladimirovich Putin and Putin (first and last word)."""
    korean = _korean(name)
    if korean:
        return " ".join(korean)
    words = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().split() or [""]
    words = _BY_SURNAME[words[0]].split() if len(words) == 1 and words[0] in _BY_SURNAME else words
    words = [re.sub(r"^(?:al|el|ad|as)-", "", w, flags=re.IGNORECASE).lower() for w in words]
    return " ".join([words[0], words[-1]] if len(words) > 1 else words)


def variants(name: str) -> list[str]:
    """Spellings a user might type or a text might hold: each spelling of the surname with the given
    name spaced, hyphened and glued ("Kim Jong Un", "Kim Jong-un", "Kim Jong-Un", "Kim Jongun", "KIM
    JONG UN"); for a foreign name, the name and its surname."""
    korean = _korean(name)
    if not korean:
        return list(dict.fromkeys([name, *name.split()[-1:]])) if name.strip() else []
    given = [s.capitalize() for s in korean[1:]]
    forms = [" ".join(given)]
    if len(given) == 2:
        forms += [f"{given[0]}-{given[1].lower()}", "-".join(given), given[0] + given[1].lower()]
    out = [f"{s} {g}" for s in SPELLINGS[korean[0]] for g in forms]
    return list(dict.fromkeys([*out, out[0].upper()]))


def _loose(key: str) -> str:
    """A key without spaces, romanisation differences folded (eo/o, eu/u, th/t, ph/p, ee/i, oo/u)."""
    key = key.replace(" ", "").replace("-", "")
    for a, b in (("eo", "o"), ("eu", "u"), ("ee", "i"), ("th", "t"), ("ph", "p"), ("kh", "k"), ("oo", "u")):
        key = key.replace(a, b)
    return key


_LEADER_KEYS = {canonical(n) for n in LEADERS}


@dataclass
class Appearance:
    """A passage that names the person, with the (start, end) of each mention in passage.text."""

    passage: Passage
    spans: list[tuple[int, int]]


@dataclass
class PersonReport:
    name: str  # the full spelling seen most
    key: str
    spellings: list[str]  # as written in the passages, most frequent first
    appearances: list[Appearance]  # newest first, undated last
    timeline: dict[str, int]  # "YYYY-MM" -> passages naming them, every month from the first to the last
    places: list[tuple[str, int]]  # places named in the same passages: (place, passages), most first
    co_mentions: list[tuple[str, int]]  # other people named in the same passages: (name, passages)
    first_seen: str | None
    last_seen: str | None
    mentions: int


@dataclass
class PeopleIndex:
    """Who is named where, found once over the passages; report(name) gives one person's record."""

    passages: list[Passage]
    found: list[list[Mention]]  # per passage
    counts: Counter = field(default_factory=Counter)  # key -> mentions
    spellings: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def build(cls, passages: Iterable[Passage]) -> PeopleIndex:
        passages = list(passages)
        found = [find_people(p.text) for p in passages]
        known = {m.key for ms in found for m in ms if m.korean and not m.guessed}
        for i, ms in enumerate(found):  # glued tails cut by guess: again, with the corpus's names known
            if any(m.guessed for m in ms):
                found[i] = find_people(passages[i].text, known)
        full = defaultdict(set)
        for m in (m for ms in found for m in ms if not m.korean and " " in m.surface):
            full[m.key.split()[-1]].add(m.key)
        # A surname alone in a South Korean spelling ("ruined Yoon") is the one person with that spelling.
        bare = defaultdict(set)
        for m in (m for ms in found for m in ms if m.korean and " " in m.surface):
            spelling = m.surface.split()[0].capitalize()
            if spelling != SPELLINGS[SURNAMES[spelling]][0]:
                bare[spelling].add(m.key)
        bare = {s: next(iter(keys)) for s, keys in bare.items() if len(keys) == 1}
        if bare:
            alone = re.compile(r"\b(" + "|".join(bare) + r")\b(?! [A-Z])")
            for p, ms in zip(passages, found):
                ms += [Mention(x.group(), bare[x.group()], x.start(), x.end()) for x in alone.finditer(p.text)
                       if not any(m.start <= x.start() < m.end for m in ms)]  # fmt: skip
                ms.sort(key=lambda m: m.start)
        index = cls(passages, [])
        for ms in found:  # a foreign surname alone ("Medvedev") joins the one full name ending in it
            ms = [m if m.korean or len(full[m.surface.lower()]) != 1 else _rekeyed(m, full) for m in ms]
            index.found.append(ms)
            for m in ms:
                index.counts[m.key] += 1
                index.spellings[m.key][m.surface] += 1
        return index

    def names(self) -> list[tuple[str, int]]:
        """(name, mentions) of everyone found, most mentioned first."""
        return [(self.display(k), n) for k, n in self.counts.most_common()]

    def display(self, key: str) -> str:
        """The full spelling seen most ("Yoon Suk Yeol", though "Yoon" alone is more frequent)."""
        return max(self.spellings[key].most_common(), key=lambda x: (" " in x[0], x[1]))[0]

    def lookup(self, name: str) -> str | None:
        """The key of the person `name` stands for: the same key; the same with spacing and romanisation
        folded; a foreign surname alone ("Ryzhenkov") when one person has it; then, for what is no
        well-formed Korean name (a typo: "Choe Son Hiu"), a near spelling when one person alone is
        that near. "Kim Jong Suk" never becomes "Kim Jong Sik": both are real people."""
        key, whole = canonical(name), _loose(name.lower())
        if key in self.counts:
            return key
        loose = {_loose(k): k for k in self.counts}
        if _loose(key) in loose or whole in loose:
            return loose.get(_loose(key)) or loose[whole]
        if len(name.split()) == 1:
            same = [k for k in self.counts if k.endswith(f" {name.lower()}") and not is_korean_name(k)]
            return same[0] if len(same) == 1 else None
        if is_korean_name(name):
            return None
        from rapidfuzz import fuzz, process

        near = process.extract(whole, list(loose), scorer=fuzz.ratio, score_cutoff=88, limit=2)
        return loose[near[0][0]] if len(near) == 1 or (near and near[0][1] > near[1][1]) else None

    def report(self, name: str) -> PersonReport | None:
        key = self.lookup(name)
        if key is None:
            return None
        appearances, months, places, others = [], Counter(), Counter(), Counter()
        for passage, ms in zip(self.passages, self.found):
            spans = [(m.start, m.end) for m in ms if m.key == key]
            if spans:
                appearances.append(Appearance(passage, spans))
                months[(passage.date or "")[:7] if re.match(r"\d{4}-\d\d", passage.date or "") else ""] += 1
                places.update({p.name for p in find_places(passage.text)})
                others.update({self.display(m.key) for m in ms if m.key != key})
        months.pop("", None)
        appearances.sort(
            key=lambda a: (a.passage.date or "", a.passage.source, a.passage.start_line or 0), reverse=True
        )
        dates = [a.passage.date for a in appearances if a.passage.date]
        return PersonReport(
            self.display(key),
            key,
            [s for s, _ in self.spellings[key].most_common()],
            appearances,
            _months(months),
            places.most_common(),
            others.most_common(),
            dates[-1] if dates else None,
            dates[0] if dates else None,
            self.counts[key],
        )


def _rekeyed(m: Mention, full: dict[str, set[str]]) -> Mention:
    return Mention(m.surface, next(iter(full[m.surface.lower()])), m.start, m.end, korean=False)


def _months(counts: Counter) -> dict[str, int]:
    """Counts per month from the first month to the last, a month without any as 0."""
    if not counts:
        return {}
    (year, month), out = map(int, min(counts).split("-")), {}
    while f"{year:04d}-{month:02d}" <= max(counts):
        out[f"{year:04d}-{month:02d}"] = counts.get(f"{year:04d}-{month:02d}", 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def person_in_question(question: str, index: PeopleIndex) -> str | None:
    """The person's name when the whole question is one ("Choe Son Hui", "kim jong-un", "Premier Pak
    Thae Song", "Putin?") and the index knows them; None for anything else ("Kim Jong Un in Russia")."""
    words = re.sub(r"[?!.,\"“”]|['’]s\b", " ", question).split()
    skip = TITLES | {"Vice", "Dprk", "Wpk", "Respected", "The", "Foreign", "First", "Prime"}
    while words and words[0].capitalize().split("-")[0] in skip:
        words.pop(0)
    if not words or len(words) > 4:
        return None
    name = " ".join(words)
    if not is_korean_name(name) and (words[0].lower() in {w.lower() for w in SURNAMES} or len(words) > 3):
        return None  # a Korean surname and more than a name ("Kim Jong Un Russia")
    key = index.lookup(name)
    return index.display(key) if key else None
