"""Eligibility-criteria parser: registry text to :class:`~rrmm.trials.constraints.Criterion` objects.

Two steps, each usable alone:

- :func:`split_criteria` finds the inclusion and exclusion sections of a study's criteria text and cuts them
  into single criteria. It reads both the Markdown of current ClinicalTrials.gov records (``*`` bullets,
  nested lists, ``\\<`` escapes) and the older registry style (indented ``-`` bullets, numbered items, the
  PDQ blocks ``DISEASE CHARACTERISTICS`` / ``PATIENT CHARACTERISTICS`` / ``PRIOR CONCURRENT THERAPY`` with
  their ``Age``, ``Hepatic``... labels, and flowing prose such as ``Age: 18 and over Performance status: CTC
  0-2``).
- :func:`parse_criterion` reads one criterion with rules and returns what it asks as constraints; a
  criterion no rule recognises is kept as ``kind="unstructured"``, never dropped.

Reading conventions (those of the labelled criteria, ``tests/trials/fixtures/labelled_criteria.yaml``):

- A constraint describes the condition the text names; the section says what the trial wants of it (see
  :mod:`rrmm.trials.constraints`). In the inclusion criteria ``negated`` is set when the text negates the
  condition ("no prior thalidomide", "must not have received", "HIV negative", "lenalidomide-naive",
  "... is not allowed"). In the exclusion criteria a negative restatement ("Patients must not have X") is
  still condition X; only a condition that is itself negative ("nonmeasurable myeloma") is negated. The PDQ
  blocks are inclusion criteria; their "No ..." clauses are negated conditions.
- Strict inequalities on continuous quantities (age, labs) are recorded as their bound (">18 years" ->
  ``min=18``; "platelets < 75,000/mm3" in the exclusion criteria -> ``max=75``). On integer scales (prior
  lines, ECOG, NYHA class, neuropathy grade) they become the inclusive integer ("ECOG < 3" -> ``max=2``,
  "> grade 1" -> ``min=2``); a bare "performance status of 2" is exactly 2. A grade written as the upper
  limit of what is allowed ("neuropathy <= grade 1") becomes the negated lower limit of what is not.
- Lab values are converted to the canonical units of :data:`~rrmm.trials.constraints.LAB_UNITS` (counts
  per mm3 or uL to 10^9/L, g/L and molar units through :func:`rrmm.record.units.to_canonical`, molar results
  rounded to 2 decimals); multiples of the upper limit of normal keep their number with ``uln_multiple``
  and no unit ("bilirubin normal" is ``max=1`` x ULN).
- Drugs are lowercase INN resolved through :func:`rrmm.terminology.drug_vocabulary` (brand names,
  abbreviations) and :data:`DRUG_CODES` (development codes, INNs outside the vocabulary); classes are the
  vocabulary's class ids, a drug named as a member of a class the criterion names stands for the class.
  Prior-therapy constraints are read only where the text says the patient has (or has not) received the
  therapy: wash-out intervals ("at least 4 weeks since prior melphalan"), concurrent use, allergies,
  planned treatment and specific combinations are not prior therapy. Drugs named after "except" / "other
  than" are exceptions and give no constraint, except where the inclusion criteria allow "any agent
  except X" (X negated). Therapies required as alternatives in the inclusion criteria ("either
  lenalidomide or thalidomide") cannot each be required and give ``unstructured``.
- An unspecified stem cell or bone marrow transplant is both ``autologous`` and ``allogeneic``, read only
  where both are meant (exclusion criteria, or negated). Candidacy, tandem transplants and GVHD are not.
- Exceptions, allowances and definitions attached to the main rule (in parentheses, after "unless", "if
  ...") are not encoded. A criterion that names recognised conditions beside one no kind carries ("plasma
  cell leukemia, POEMS syndrome or amyloidosis") adds one ``unstructured`` constraint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from rrmm.record.units import UnitError, to_canonical
from rrmm.terminology import UnknownDrugError, drug_vocabulary
from rrmm.trials.constraints import LAB_UNITS, Constraint, Criterion, Section

__all__ = ["DRUG_CODES", "parse_criteria", "parse_criterion", "split_criteria", "structured_share"]

# --------------------------------------------------------------------------------------------------------
# Splitting the criteria text into sections and single criteria
# --------------------------------------------------------------------------------------------------------

#: The labels of the old PDQ blocks ("Hepatic", "Performance status"...), which head a group of clauses.
PDQ_LABELS: tuple[str, ...] = (
    "Age",
    "Sex",
    "Menopausal status",
    "Performance status",
    "Life expectancy",
    "Hematopoietic",
    "Hematologic",
    "Hepatic",
    "Renal",
    "Cardiovascular",
    "Cardiac",
    "Pulmonary",
    "Neurologic",
    "Gastrointestinal",
    "Immunologic",
    "Metabolic",
    "Biologic therapy",
    "Chemotherapy",
    "Endocrine therapy",
    "Endocrine",
    "Radiotherapy",
    "Surgery",
    "Other",
)
_PDQ_LABEL_ALTERNATIVES = "|".join(re.escape(x) for x in PDQ_LABELS)
_PDQ_LABEL_LINE = re.compile(r"^(" + _PDQ_LABEL_ALTERNATIVES + r")\s*:?$", re.I)
_PDQ_LABELLED = re.compile(r"^(" + _PDQ_LABEL_ALTERNATIVES + r")\s*:\s*(.*)$", re.I | re.S)
_PDQ_HEADER = re.compile(
    r"^(disease\s+characteristics|patient\s+characteristics|prior\s+concurrent\s+therapy)\s*:?\s*(.*)$", re.I
)
_SECTION_HEADER = re.compile(
    r"^(?:[\w()/-]+\s+){0,3}?(?P<which>inclusions?|exclusions?)(?:\s+criteria)?"
    r"(?:\s*(?:-|–|for\b|of\b|includes?\b|\()[^.]{0,90})?\s*:?\s*$",
    re.I,
)
_SECTION_HEADER_WITH_TEXT = re.compile(
    r"^(?:key\s+|main\s+|other\s+)?(?P<which>inclusion|exclusion)\s+criteria\s*:\s*(?P<rest>\S.*)$", re.I
)
_TRAILING_HEADER = re.compile(
    r"^(?P<text>.*[.;:)])\s+(?:(?:other|additional|key)\s+)?(?P<which>inclusion|exclusion)\s+criteria\s*:?$",
    re.I,
)
_INTRO = re.compile(r"\b(?:following|below|these)\b.{0,60}\bcriteri|\bany\s+of\s+the\s+following\b", re.I)
_INTRO_EXCLUSION = re.compile(
    r"\bexclu|\bnot\s+(?:be\s+)?eligible|\bineligible|\bnot\s+(?:to\s+)?be\s+enrolled|\bwill\s+exclude", re.I
)
_METADATA = re.compile(r"^accepts\s+healthy\s+volunteers\s*:", re.I)
_BULLET = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>[-*•·‣◦▪–]|\d{1,2}[.)]|\(\d{1,2}\)|[a-zA-Z][.)]|\([a-zA-Z]\)|"
    r"(?:i{1,3}|iv|v|vi{1,3})[.)])(?:[ \t]+|(?<=-)(?=[A-Z]))(?P<rest>\S.*)$"
)
_INLINE_STAR = re.compile(r"(?:(?<=\s)|^)\*\s*(?=[A-Za-z(])|\s*•\s*")
_INLINE_NUMBER = re.compile(r"(?<=[.;:])\s+(?P<n>\d{1,2})\.\s+(?=[A-Z])")
_INLINE_LETTER = re.compile(r"(?:(?<=\s)|^)(?=[a-h]\.\s+[A-Z])")
_SENTENCE_END = re.compile(
    r"(?<=[a-z0-9)\]%])(?<!e\.g)(?<!i\.e)(?<!\bvs)(?<!\bal)(?<!approx)(?<!\bDr)(?<!\bNo)[.;]\s+(?=[A-Z])"
)
_PDQ_STARTERS = (
    r"No|Not|At least|More than|Fewer than|Less than|Greater than|Concurrent|Prior|Fertile|HIV|Hepatitis|"
    r"Negative|Positive|See|Must|Patients?|Absolute|Platelet|Granulocyte|Hemoglobin|Bilirubin|Creatinine|"
    r"SGOT|SGPT|AST|ALT|WBC|ECOG|Karnofsky|Zubrod|Recovered|Histologically|Measurable|Any"
)
_PDQ_CLAUSE_START = re.compile(r"(?<=[a-z0-9)\]])\s+(?=(?:" + _PDQ_STARTERS + r")\b)")
_PDQ_INLINE_LABEL = re.compile(r"(?:(?<=\s)|^)(?=(?:" + _PDQ_LABEL_ALTERNATIVES + r")\s*:)")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>=])")
_MD_DECORATION = re.compile(r"^[#>\s]*|\*\*|__")


def _unescape(text: str) -> str:
    """Markdown escapes (``\\<``, ``\\>``, ``\\*``...) undone; line ends and odd spaces made plain."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\t", "    ")
    return _MD_ESCAPE.sub(r"\1", text)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Item:
    section: Section
    lines: list[str]
    bullet: bool
    indent: int  # column of the bullet marker or of the paragraph's first character
    content_indent: int  # column where the text after the marker starts
    label: str | None  # the PDQ label ("Hepatic") the item stands under
    pdq: bool


def _section_of(which: str) -> Section:
    return "exclusion" if which.lower().startswith("exclu") else "inclusion"


def _header(line: str) -> tuple[Section, str] | None:
    """``(section, text after the header)`` when ``line`` is a section header."""
    plain = _MD_DECORATION.sub("", line).strip().strip("*").strip()
    if not plain or len(plain) > 110:
        return None
    m = _SECTION_HEADER_WITH_TEXT.match(plain)
    if m:
        return _section_of(m["which"]), m["rest"]
    m = _SECTION_HEADER.match(plain)
    if m:
        return _section_of(m["which"]), ""
    return None


def split_criteria(text: str) -> list[tuple[Section, str]]:
    """The single criteria of a study's eligibility text, each with its section.

    Text before any header is inclusion; the PDQ blocks are inclusion (their "No ..." clauses are read as
    negated conditions by :func:`parse_criterion`). Nested bullets are criteria of their own; prose is cut
    into sentences and, in the PDQ style, into labelled clauses ("Hepatic: Bilirubin ..."). Section
    headers, PDQ labels and list introductions ("... the following criteria:") are not criteria.

    >>> text = "Inclusion Criteria:\\n* Age \\\\>= 18\\n  * ECOG 0-1\\nExclusion Criteria:\\n* Prior CAR-T"
    >>> split_criteria(text)
    [('inclusion', 'Age >= 18'), ('inclusion', 'ECOG 0-1'), ('exclusion', 'Prior CAR-T')]
    """
    section: Section = "inclusion"
    pdq = False
    label: str | None = None
    items: list[_Item] = []
    current: _Item | None = None
    previous_line = ""

    def close() -> None:
        nonlocal current, section
        if current is not None:
            body = _collapse(" ".join(current.lines))
            trailing = _TRAILING_HEADER.match(body)
            if trailing:
                current.lines = [trailing["text"]]
                section = _section_of(trailing["which"])
            elif (
                not current.bullet
                and body.endswith(":")
                and _INTRO.search(body)
                and _INTRO_EXCLUSION.search(body)
            ):
                section = "exclusion"  # "Patients meeting any of the following criteria are not eligible:"
            items.append(current)
        current = None

    for raw in _unescape(text).split("\n"):
        if not raw.strip():
            close()
            previous_line = ""
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        stripped = raw.strip()
        bullet = _BULLET.match(raw)
        if (
            bullet is not None
            and current is not None
            and current.bullet
            and indent == current.content_indent
            and len(previous_line) >= 60
            and not previous_line.endswith((".", ":", ";"))
        ):
            bullet = None  # a wrapped line that happens to start like "1) and have ..."
        if bullet is None:
            if _METADATA.match(stripped):
                close()
                continue
            pdq_header = _PDQ_HEADER.match(_MD_DECORATION.sub("", stripped))
            if pdq_header:
                close()
                section, pdq, label = "inclusion", True, None
                rest = pdq_header[2].strip()
                if rest:
                    current = _Item(section, [rest], False, indent, indent, None, True)
                previous_line = stripped
                continue
            wrapped = current is not None and (
                (current.bullet and indent >= current.content_indent)
                or (len(previous_line) >= 60 and not previous_line.endswith((".", ":", ";")))
            )
            header = (
                None
                if wrapped or (not stripped[:1].isupper() and not stripped.startswith(("*", "#")))
                else _header(stripped)
            )
            if header is not None:
                close()
                section, rest = header
                label = None
                if rest:
                    current = _Item(section, [rest], False, indent, indent, None, pdq)
                previous_line = stripped
                continue
            if _PDQ_LABEL_LINE.match(stripped) and (current is None or not current.lines):
                close()
                label = _PDQ_LABEL_LINE.match(stripped)[1]  # type: ignore[index]
                previous_line = stripped
                continue
            continues = current is not None and (
                (current.bullet and indent >= current.content_indent)
                or (len(previous_line) >= 60 and not previous_line.endswith((".", ":", ";")))
                or (not current.bullet and indent > current.indent)
            )
            if current is not None and continues:
                current.lines.append(stripped)
            else:
                close()
                current = _Item(section, [stripped], False, indent, indent, label, pdq)
            previous_line = stripped
            continue
        close()
        marker_indent = len(bullet["indent"].replace("\t", "    "))
        content_indent = bullet.start("rest")
        current = _Item(section, [bullet["rest"].strip()], True, marker_indent, content_indent, label, pdq)
        previous_line = stripped
    close()

    return [(item.section, piece) for item in items for piece in _cut(_collapse(" ".join(item.lines)), item)]


def _is_heading(text: str, item: _Item) -> bool:
    """A paragraph that only heads a list: "Disease related:", "Target Population", "... the following:"."""
    if item.bullet:
        return False
    words = text.rstrip(":").split()
    if text.endswith(":") and (len(words) <= 12 or _INTRO.search(text)):
        return True
    if _INTRO.search(text) and re.search(r"\b(?:eligible|enrolled|excluded|exclude|criteria)\b", text, re.I):
        return len(words) <= 25
    titled = all(w[0].isupper() for w in words if len(w) >= 4 and w[0].isalpha())
    return len(words) <= 6 and titled and not re.search(r"\d|[<>=]", text) and not text.endswith(".")


def _cut(body: str, item: _Item) -> list[str]:
    """One paragraph or bullet cut into criteria (inline bullets, sentences of prose, PDQ clauses)."""
    body = re.sub(r"^[-–•*]\s*(?=\S)", "", body).strip() if not item.bullet else body
    if not body or re.fullmatch(r"[-–•*.:;,\s]*", body):
        return []
    if _is_heading(body, item):
        return []
    pieces = [p.strip() for p in _INLINE_STAR.split(body)]
    if len(re.findall(r"(?:(?<=\s)|^)[a-h]\.\s+[A-Z]", body)) >= 2:
        pieces = [q.strip() for p in pieces for q in _INLINE_LETTER.split(p)]
    pieces = [q for p in pieces for q in _split_numbered(p)]
    pieces = [re.sub(r"^[a-h]\.\s+(?=[A-Z])", "", p) for p in pieces]
    out: list[str] = []
    for piece in pieces:
        if not piece or re.fullmatch(r"[-–•*.:;,\s]*", piece):
            continue
        if item.pdq and not item.bullet:
            out.extend(_pdq_prose(piece))
            continue
        if not item.bullet and not item.pdq:
            out.extend(s.strip() for s in _SENTENCE_END.split(piece) if s.strip())
            continue
        out.append(piece)
    if item.label is not None:
        out = [f"{item.label}: {p}" for p in out]
    return out


def _split_numbered(text: str) -> list[str]:
    """ "... 6 months. 3. Uncontrolled infection. 4. ..." cut at the numbers that continue a sequence."""
    lead = re.match(r"^(\d{1,2})\.\s+(?=\S)", text)
    expected = int(lead[1]) + 1 if lead else None
    cuts: list[tuple[int, int]] = []
    for m in _INLINE_NUMBER.finditer(text):
        n = int(m["n"])
        if expected is None or n == expected:
            cuts.append((m.start(), m.end()))
            expected = n + 1
    out: list[str] = []
    start = lead.end() if lead else 0
    for a, b in cuts:
        out.append(text[start:a].strip())
        start = b
    out.append(text[start:].strip())
    return [p for p in out if p]


def _pdq_prose(text: str) -> list[str]:
    """ "Age: 18 and over Performance status: CTC 0-2 ..." cut into labelled clauses."""
    out: list[str] = []
    for part in _PDQ_INLINE_LABEL.split(text):
        part = part.strip()
        if not part:
            continue
        m = _PDQ_LABELLED.match(part)
        if m is None:
            out.extend(c.strip() for c in _PDQ_CLAUSE_START.split(part) if c.strip())
            continue
        name, rest = m[1], m[2]
        clauses = [c.strip() for c in _PDQ_CLAUSE_START.split(rest) if c.strip()]
        out.extend(f"{name}: {c}" for c in clauses or ["Not specified"])
    return out


# --------------------------------------------------------------------------------------------------------
# Reading one criterion
# --------------------------------------------------------------------------------------------------------

_WORD_NUMBERS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}

# Comparators, longest phrases first; each becomes a symbol so the rules below see one spelling.
_COMPARATOR_PHRASES: tuple[tuple[str, str], ...] = (
    (r"(?:≥|⩾|≧|=>|>\s*/\s*=|>\s*or\s*=|=\s*or\s*>|>\s*=(?!>))", " >= "),
    (r"(?:≤|⩽|≦|=<|<\s*/\s*=|<\s*or\s*=|=\s*or\s*<|<\s*=(?!<))", " <= "),
    (r"\b(?:greater|more|higher)\s+(?:than\s+)?or\s+equal\s+(?:to\b)?", " >= "),
    (r"\bequal\s+(?:to\s+)?or\s+(?:greater|more|higher)(?:\s+than\b)?", " >= "),
    (r"\b(?:less|lower|fewer)\s+(?:than\s+)?or\s+equal\s+(?:to\b)?", " <= "),
    (r"\bequal\s+(?:to\s+)?or\s+(?:less|lower|fewer)(?:\s+than\b)?", " <= "),
    (r"\b(?:of\s+)?at\s+least\b|\b(?:not|no)\s+(?:less|lower|fewer)\s+than\b|\ba\s+minimum\s+of\b", " >= "),
    (r"\bminimum(?:\s+of)?(?=\s+\d)", " >= "),
    (
        r"\b(?:not|no)\s+(?:greater|more|higher)\s+than\b|\bnot\s+(?:to\s+)?exceed(?:ing)?\b|\bat\s+most\b",
        " <= ",
    ),
    (r"\b(?:a\s+)?maximum\s+of\b|\bup\s+to(?=\s+(?:and\s+including\s+)?\d)", " <= "),
    (r"\bmaximum(?=\s+\d)", " <= "),
    (r"\b(?:greater|more|higher|older)\s+than\b|\bexceed(?:s|ing)?\b|\bin\s+excess\s+of\b", " > "),
    (r"\b(?:less|lower|fewer|younger)\s+than\b", " < "),
    (r"\b(?:above|over)(?=\s+(?:the\s+)?(?:age\s+(?:of\s+)?)?\d)", " > "),
    (r"\b(?:below|under)(?=\s+(?:the\s+)?(?:age\s+(?:of\s+)?)?\d)", " < "),
    # "not > 4 times normal" is "<= 4"; "not < 1,000" is ">= 1,000".
    (r"\bnot\s+(?:be\s+)?>\s*=?", " <= "),
    (r"\bnot\s+(?:be\s+)?<\s*=?", " >= "),
)
_POSTFIX_MORE = re.compile(
    r"\s+(?:or|and)\s+(?:more|greater|higher|over|older|above|worse|later|beyond)\b|\s*\+(?=\s|$|[,;.)])",
    re.I,
)
_POSTFIX_LESS = re.compile(r"\s+(?:or|and)\s+(?:less|fewer|lower|under|younger|below|better)\b", re.I)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"


def _normalise(text: str) -> str:
    """The working copy of a criterion: unescaped, comparators as symbols, small numbers as digits."""
    t = _collapse(_unescape(text))
    t = t.replace("–", "-").replace("—", "-").replace("‐", "-").replace("−", "-").replace("³", "3")
    t = t.replace("µ", "u").replace("μ", "u").replace("’", "'").replace("×", "x").replace("⁹", "9")
    t = t.replace("²", "2").replace("ï", "i").replace("®", "").replace("™", "").replace("ö", "o")
    for pattern, symbol in _COMPARATOR_PHRASES:
        t = re.sub(pattern, symbol, t, flags=re.I)
    t = re.sub(
        r"\b(" + "|".join(_WORD_NUMBERS) + r")\b(?![-\s]*(?:of\s+the\s+following|or\s+more\s+of|another))",
        lambda m: _WORD_NUMBERS[m[1].lower()],
        t,
        flags=re.I,
    )
    t = re.sub(r"\b(\d+)\s*\(\s*\1\s*\)", r"\1", t)  # "one (1) prior line"
    t = re.sub(r"(>=|<=|>|<)\s*\(\s*(?:>=|<=|>|<)\s*\)", r"\1", t)  # "greater than or equal to (>=) 200"
    t = _POSTFIX_MORE.sub(" ORMORE", t)
    t = _POSTFIX_LESS.sub(" ORLESS", t)
    return _collapse(t)


def _number(s: str) -> float:
    """ "1,000" -> 1000; "2,5" (a decimal comma) -> 2.5."""
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        return float(s.replace(",", ""))
    return float(s.replace(",", "."))


def _integer_bounds(cmp: str | None, post: str, n: int) -> tuple[float | None, float | None]:
    """Bounds on an integer scale: strict inequalities become the inclusive integer ("< 3" -> max 2)."""
    if cmp == ">":
        return float(n + 1), None
    if cmp == ">=" or post == "ORMORE":
        return float(n), None
    if cmp == "<":
        return None, float(n - 1)
    if cmp == "<=" or post == "ORLESS":
        return None, float(n)
    return float(n), float(n)


_CLAUSE_END = re.compile(
    r";\s*|\s+(?=Note\s*:)|(?<=[a-z0-9)\]%])(?<!e\.g)(?<!i\.e)(?<!\bvs)(?<!\betc)(?<!\bal)(?<!approx)\.\s+(?=[A-Z(])"
)


def _clauses(t: str) -> list[tuple[int, int]]:
    """Spans of the clauses of the working text (split at ';' and at sentence ends, not in parentheses)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _CLAUSE_END.finditer(t):
        if _parenthetical(t, m.start()) is not None:
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(t)))
    return [s for s in spans if s[1] > s[0]]


_EXAMPLES = re.compile(r"\b(?:e\.?\s?g\.?|i\.?e\.?|such\s+as|including|like|for\s+example)(?!\w)", re.I)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|none|neither|cannot|absence\s+of|free\s+of|lack\s+of)\b|n't\b", re.I
)
_NOT_A_NEGATION = re.compile(
    r"\bnot\s+(?:limited|otherwise|necessarily|required|only|applicable|specified)\b|\bif\s+not\b|"
    r"\bwhether\s+or\s+not\b|\bno\s+(?:later|sooner|earlier|longer)\b|\bnot\s+later\b|\bor\s+not\b",
    re.I,
)
_EXCEPTION = re.compile(
    r"\bexcept(?:\s+for)?\b|\bother\s+than\b|\bwith\s+the\s+exception(?:\s+of)?\b|\bexcluding\b|"
    r"\bapart\s+from\b|\baside\s+from\b|\bexceptions?\s+(?:are|is|include)\b|\bunless\b",
    re.I,
)
_SCOPE_END = re.compile(
    r"\bunless\b|\bbut\b|\bhowever\b|\bwhereas\b|\band\s+(?:must|should|have|has)\b", re.I
)
_NOT_ALLOWED = re.compile(
    r"\b(?:is|are|will\s+be|be)?\s*(?:not\s+(?:allowed|permitted|eligible|acceptable)|ineligible|excluded|"
    r"prohibited)\b",
    re.I,
)
_ALLOWED = re.compile(
    r"\b(?:allowed|permitted|permissible|acceptable|(?:are|is)\s+eligible(?!\s+(?:for|to)\b)|"
    r"may\s+be\s+(?:enrolled|included|eligible)|can\s+be\s+(?:enrolled|included)|may\s+participate|may\s+enroll|"
    r"may\s+have\s+(?:\w+\s+)?(?:been|received|had|included|undergone)|case-by-case)\b",
    re.I,
)


def _blank_parentheses(s: str) -> str:
    """``s`` with the text inside parentheses replaced by spaces (positions kept)."""
    out = list(s)
    depth = 0
    for i, ch in enumerate(s):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif depth:
            out[i] = " "
    return "".join(out)


def _strip_parentheses(s: str) -> str:
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", s)
    return s


def _parenthetical(t: str, pos: int) -> tuple[int, int] | None:
    """The span inside the innermost parentheses around ``pos``, if any."""
    depth = 0
    for i in range(pos - 1, -1, -1):
        if t[i] in ")]":
            depth += 1
        elif t[i] in "([":
            if depth == 0:
                close = t.find(")" if t[i] == "(" else "]", pos)
                return i + 1, close if close != -1 else len(t)
            depth -= 1
    return None


@dataclass(frozen=True)
class _Context:
    """The working text of a criterion, its clauses and section, with the polarity rules."""

    text: str
    clauses: tuple[tuple[int, int], ...]
    section: Section

    def clause(self, pos: int) -> tuple[int, int]:
        for a, b in self.clauses:
            if a <= pos < b or pos == b:
                return a, b
        return 0, len(self.text)

    def clause_text(self, pos: int) -> str:
        a, b = self.clause(pos)
        return self.text[a:b]

    def in_exception(self, pos: int) -> bool:
        """The mention follows "except" / "other than" in its clause: it names an exception."""
        a, _ = self.clause(pos)
        return _EXCEPTION.search(self.text[a:pos]) is not None

    def negated(self, pos: int) -> bool:
        """Whether the text negates the condition mentioned at ``pos``.

        In the inclusion criteria a negation before the mention in its clause ("No prior ...", "must not
        have ...") or "... is not allowed" after it negates. In the exclusion criteria a negative
        restatement ("Patients must not have X") is still condition X: only a condition that is itself
        negative is negated, which the rules mark where they read it ("nonmeasurable", "HIV negative").
        """
        if self.section == "exclusion":
            return False
        a, b = self.clause(pos)
        before = self.text[a:pos]
        ends = [m.end() for m in _SCOPE_END.finditer(before)]
        scope = _NOT_A_NEGATION.sub(" ", before[ends[-1] :] if ends else before)
        negated = _NEGATION.search(scope) is not None
        if _NOT_ALLOWED.search(_strip_parentheses(self.text[pos:b])):
            negated = not negated
        return negated

    def permissive(self, pos: int) -> bool:
        """The clause (or the parentheses around ``pos``) only allows the condition: no requirement."""
        inner = _parenthetical(self.text, pos)
        if inner is not None:
            segment = self.text[inner[0] : inner[1]]
            if _ALLOWED.search(segment) and not _NOT_ALLOWED.search(segment):
                return True
        clause = _strip_parentheses(self.clause_text(pos))
        return _ALLOWED.search(clause) is not None and _NOT_ALLOWED.search(clause) is None

    def in_parentheses(self, pos: int) -> bool:
        return _parenthetical(self.text, pos) is not None

    def in_examples(self, pos: int) -> bool:
        """The mention is an example in parentheses ("risk factors (e.g., heart failure, ...)")."""
        inner = _parenthetical(self.text, pos)
        return inner is not None and _EXAMPLES.search(self.text[inner[0] : pos]) is not None


# ---- age --------------------------------------------------------------------------------------------------

_AGE_CUE = re.compile(
    r"\bage[ds]?\b|\byears?\s+(?:of\s+age|old)\b|\byear-old\b|\byrs?\s+(?:of\s+age|old)\b|"
    r"\b(?:years?|yrs?)\s+ORMORE\b|\b(?:years?|yrs?)\s+ORLESS\b|"
    r"\b(?:patients?|subjects?|participants?|males?|females?|men|women|adults?)\s+(?:must\s+be\s+|who\s+are\s+)?"
    r"(?:>=|<=|>|<)?\s*\d{2}\s*(?:years|yrs)\b|^\s*(?:>=|<=|>|<)?\s*\d{2}\s*(?:years|yrs)\b|"
    r"(?:>=|<=|>|<)\s*(?:1[5-9]|[2-9]\d)\s*(?:years?|yrs?)\b(?!\s+(?:ago|since|after|prior|before|from|earlier))",
    re.I,
)
_AGE_RANGE = re.compile(
    r"(?:between\s+)?\b(?P<a>\d{1,3}|birth)\s*(?:years?\s*)?(?:-|to|and)\s*(?:<=?\s*)?(?P<b>\d{1,3})\b"
    r"(?!\s*(?:days?|weeks?|months?|%))",
    re.I,
)
_AGE_CMP = re.compile(
    r"(?P<cmp>>=|<=|>|<)\s*(?:the\s+)?(?:age\s+(?:of\s+)?)?(?P<n>\d{1,3})\b(?!\s*(?:days?|weeks?|months?|%|\.\d))",
    re.I,
)
_AGE_POST = re.compile(
    r"\b(?P<n>\d{1,3})\s*(?:years?|yrs?)?(?:\s+of\s+age)?(?:\s+\(inclusive\))?\s+(?P<post>ORMORE|ORLESS)",
    re.I,
)
_NOT_AGE = re.compile(
    r"\b(?:within|for|past|last|since|ago|prior|previous|free|interval|expectancy|survival|after|before|diagnosed|"
    r"(?:for|in)\s+(?:patients|subjects|participants|those)(?:\s+aged)?)\s*$",
    re.I,
)


def _age(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    labelled = re.match(r"^age\s*:", t, re.I) is not None
    cues = [c for c in _AGE_CUE.finditer(t) if not ctx.in_parentheses(c.start())]
    if not cues and not labelled:
        return []
    if labelled:
        a, b = 0, len(t)
    else:
        first = cues[0]
        ca, cb = ctx.clause(first.start())
        a, b = max(ca, first.start() - 40), min(cb, first.end() + 60)
    window = t[a:b]
    if re.search(r"\(\s*140\s*-\s*age", window, re.I):  # the Cockcroft-Gault formula, not an age limit
        return []
    if re.search(r"childbearing|child-bearing|menopaus|contracepti", t, re.I):
        return []
    lo: float | None = None
    hi: float | None = None

    def outside(m: re.Match[str]) -> bool:
        return labelled or not ctx.in_parentheses(a + m.start())

    for m in filter(outside, _AGE_RANGE.finditer(window)):
        x = 0.0 if m["a"].lower() == "birth" else float(m["a"])
        y = float(m["b"])
        if (x == 0 or x >= 10) and x < y <= 120 and not _NOT_AGE.search(window[: m.start()]):
            lo, hi = (x if x else None), y
            break
    if lo is None and hi is None:
        for m in filter(outside, _AGE_CMP.finditer(window)):
            if _NOT_AGE.search(window[: m.start()]):
                continue
            n = float(m["n"])
            if not 10 <= n <= 120:
                continue
            if m["cmp"].startswith(">") and lo is None:
                lo = n
            elif m["cmp"].startswith("<") and hi is None:
                hi = n
        for m in filter(outside, _AGE_POST.finditer(window)):
            n = float(m["n"])
            if not 10 <= n <= 120 or _NOT_AGE.search(window[: m.start()]):
                continue
            if m["post"] == "ORMORE" and lo is None:
                lo = n
            elif m["post"] == "ORLESS" and hi is None:
                hi = n
    if lo is None and hi is None:
        return []
    return [Constraint(kind="age", min=lo, max=hi)]


# ---- performance status ---------------------------------------------------------------------------------

_PS_TRIGGER = re.compile(
    r"(?P<k>\bkarnofsky\b|\bKPS\b|\blansky\b)|(?P<e>\bECOG\b|eastern\s+cooperative\s+(?:oncology\s+)?group|"
    r"\bzubrod\b|\bSWOG\b|\bWHO\b(?=\s+(?:performance|PS))|world\s+health\s+organi[sz]ation(?=\s+(?:\(WHO\)\s+)?"
    r"(?:performance|PS)))|(?P<g>performance\s+status|performance\s+score|\bPS\b)",
    re.I,
)
_PS_VALUE = re.compile(
    r"(?P<cmp>>=|<=|>|<)?\s*(?P<a>\d{1,3})\s*(?P<pct>%)?"
    r"(?:\s*(?:-|to)\s*(?P<b>\d{1,3})\s*%?"
    r"|(?P<list>(?:\s*,\s*\d{1,3})*\s*,?\s*(?:or|and|/)\s*(?P<c>\d{1,3})\s*%?))?"
    r"(?P<post>\s*\b(?:ORMORE|ORLESS))?"
)
_PS_FILLER = re.compile(
    r"\b(?:ECOG|status|score|scale|grade|of|is|must|be|should|PS|performance|a|an|the|at|screening|baseline|level|"
    r"between|eastern|cooperative|oncology|group|zubrod|karnofsky|KPS|WHO|SWOG|CTC|NCI|index|equal|to|criteria|"
    r"based|on|only|and|or|with|range|value|ranging|from|have|has)\b",
    re.I,
)
PsScale = Literal["ecog", "karnofsky"]


def _performance(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    triggers = list(_PS_TRIGGER.finditer(t))
    out: dict[str, Constraint] = {}
    for i, m in enumerate(triggers):
        if m["k"] and m["k"].lower() == "lansky":
            continue
        scale: PsScale = "karnofsky" if m["k"] else "ecog"
        if m["g"]:
            # "Karnofsky performance status": the generic words follow a named scale.
            prior = t[max(0, m.start() - 30) : m.start()]
            if re.search(r"karnofsky|KPS", prior, re.I):
                scale = "karnofsky"
        _, cb = ctx.clause(m.start())
        end = min(cb, m.end() + 70)
        for n in triggers[i + 1 :]:
            other = "karnofsky" if n["k"] else ("ecog" if n["e"] else None)
            if other is not None and other != scale and n.start() >= m.end():
                end = min(end, n.start())
                break
        window = t[m.end() : end]
        v = re.search(r"\d", window)
        if v is None or re.search(r"[a-z]{3,}", _PS_FILLER.sub(" ", window[: v.start()]), re.I):
            continue
        vm = _PS_VALUE.search(window, max(0, v.start() - 4))
        if vm is None or vm.start() > v.start():
            continue
        a = int(vm["a"])
        if re.match(
            r"\s*(?:days?|weeks?|months?|years?|hours?|mg|g/|x\s*10)", window[vm.end() : vm.end() + 12], re.I
        ):
            continue
        if scale == "ecog" and (a > 5 or vm["pct"]):
            if a >= 10 and m["g"]:
                scale = "karnofsky"  # "performance status >= 60%"
            else:
                continue
        lo: float | None = None
        hi: float | None = None
        cmp, post = vm["cmp"], (vm["post"] or "").strip()
        if vm["b"] is not None:
            b = int(vm["b"])
            lo, hi = (float(a) if a > 0 else None, float(b)) if scale == "ecog" else (float(a), None)
        elif vm["c"] is not None:
            values = [int(x) for x in re.findall(r"\d{1,3}", vm.group()[vm.group().find(vm["a"]) :])]
            lo, hi = (None, float(max(values))) if scale == "ecog" else (float(min(values)), None)
        elif scale == "ecog":
            lo, hi = _integer_bounds(cmp, post, a)
        elif (cmp and cmp.startswith("<")) or post == "ORLESS":
            hi = float(a)
        else:
            lo = float(a)
        if scale == "karnofsky" and ((lo or 0) > 100 or (hi or 0) > 100):
            continue
        out.setdefault(scale, Constraint(kind="performance_status", scale=scale, min=lo, max=hi))
    return list(out.values())


# ---- prior lines of therapy ------------------------------------------------------------------------------

_LINE_NOUN = (
    r"(?:(?:prior|previous|preceding|earlier|different|separate|distinct|standard|conventional|systemic|"
    r"anti-?myeloma|myeloma|MM|chemotherapy(?:-based)?|chemotherapy\s+based|treatment|therapeutic|induction|"
    r"therapy|lines?\s+of|courses?\s+of|regimens?\s+of|salvage|anti-?cancer|cytotoxic|of\s+the\s+following)\s+){0,4}"
    r"(?:lines?(?:\s+of\s+(?:(?:anti-?myeloma|systemic|prior)\s+)?(?:therapy|therapies|treatments?))?|"
    r"regimens?|therap(?:y|ies)|treatments?)\b"
)
_LINES_SPEC = re.compile(
    r"(?P<cmp>>=|<=|>|<)?\s*(?P<a>\d{1,2})\b(?:\s*(?:-|to|or)\s*(?P<b>\d{1,2})\b)?(?P<post>\s*\b(?:ORMORE|ORLESS))?"
    r"\s*,?\s+(?P<noun>" + _LINE_NOUN + r")",
    re.I,
)
_LINES_BETWEEN = re.compile(
    r"between\s+(?P<a>\d{1,2})\s+and\s+(?P<b>\d{1,2})\s+(?P<noun>" + _LINE_NOUN + r")", re.I
)
_LINES_AFTER = re.compile(
    r"(?:number\s+of\s+)?(?:prior|previous)\s+(?:lines?(?:\s+of\s+(?:therapy|treatment))?|regimens?|therapies)"
    r"\s*(?:is|must\s+be|:)?\s*(?P<cmp>>=|<=|>|<)\s*(?P<a>\d{1,2})\b",
    re.I,
)
_LINES_NOT = re.compile(
    r"\b(?:considered|counted|count|counts|equivalent|defined|define|constitutes?)\s*(?:as\s*)?$", re.I
)
_UNTREATED = re.compile(
    r"\b(?:previously\s+untreated|untreated\s+(?:multiple\s+)?myeloma|treatment[\s-]na[iï]ve|newly\s+diagnosed|"
    r"not\s+(?:have\s+)?(?:been\s+)?previously\s+treated)\b|"
    r"\b(?:no|not)\b[^.;]{0,40}?\b(?:previously\s+treated|prior\s+(?:[\w-]+\s+){0,2}?(?:therapy|therapies|"
    r"treatments?|chemotherapy))\b[^.;]{0,40}?\bfor\s+(?:the\s+treatment\s+of\s+)?(?:their\s+)?(?:multiple\s+)?"
    r"(?:myeloma|MM)\b",
    re.I,
)
_PRETREATED = re.compile(
    r"\bpreviously\s+treated\b(?!\s+with)|\bpre-?treated\b|\brelapsed\s+after\s+(?:prior|previous)\s+(?:therapy|treatment)|"
    r"\b(?:previous|prior)\s+(?:treatment|therapy)\s+(?:with|for)\s+(?:the\s+)?(?:anti-?myeloma|myeloma|MM)\b|"
    r"\b(?:previous|prior)(?:\s+or\s+current)?\s+(?:anti-?myeloma|systemic)\s+(?:therapy|treatment|chemotherapy)\b|"
    r"\breceived\s+(?:prior|previous)\s+(?:\w+\s+){0,2}?(?:therapy|treatment|chemotherapy)\s+for\s+"
    r"(?:their\s+|the\s+)?(?:multiple\s+)?(?:myeloma|MM)\b",
    re.I,
)


def _prior_lines(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    between = _LINES_BETWEEN.search(t)
    if between is not None:
        return [Constraint(kind="prior_lines", min=float(between["a"]), max=float(between["b"]))]
    lo: float | None = None
    hi: float | None = None
    exact: tuple[float | None, float | None] | None = None
    for m in _LINES_SPEC.finditer(t):
        noun = m["noun"].lower()
        if re.search(r"\b(?:cycles?|doses?|weeks?|months?|days?|years?)\b", noun):
            continue
        ca, _ = ctx.clause(m.start())
        before = t[max(ca, m.start() - 40) : m.start()]
        if _LINES_NOT.search(before) or ctx.permissive(m.start()) or ctx.in_parentheses(m.start("a")):
            continue
        a = int(m["a"])
        if a > 12:
            continue
        cmp, post = m["cmp"], (m["post"] or "").strip()
        if (
            ctx.section == "inclusion"
            and cmp
            and _NEGATION.search(_NOT_A_NEGATION.sub(" ", t[ca : m.start()][-40:]))
        ):
            # "must not have received more than 3 prior regimens": at most 3.
            cmp = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[cmp]
        m_lo: float | None
        m_hi: float | None
        if m["b"] is not None:
            m_lo, m_hi = float(a), float(m["b"])
        else:
            m_lo, m_hi = _integer_bounds(cmp, post, a)
            if not cmp and not post:
                exact = exact or (m_lo, m_hi)  # "one prior line": exactly, unless a bound is written too
                continue
        # "at least 1, but no more than 5 prior regimens": the bound written before this one.
        pre = re.search(r"(?P<cmp>>=|<=|>|<)?\s*(?P<n>\d{1,2})\s*,?\s*(?:but|and)\s*,?\s*$", before)
        if pre is not None and m["b"] is None and m_lo is None:
            p_lo, _ = _integer_bounds(pre["cmp"] or ">=", "", int(pre["n"]))
            m_lo = p_lo
        lo = m_lo if lo is None else lo
        hi = m_hi if hi is None else hi
    if lo is None and hi is None and exact is not None:
        lo, hi = exact
    if lo is None and hi is None:
        for m in _LINES_AFTER.finditer(t):
            lo, hi = _integer_bounds(m["cmp"], "", int(m["a"]))
            break
    if lo is None and hi is None:
        m3 = _UNTREATED.search(t)
        alternative = m3 is not None and re.match(
            r"[^.;]{0,15}\bor\s+(?:relapsed|refractory|previously)", t[m3.end() :], re.I
        )
        if (
            m3 is not None
            and not alternative
            and not ctx.permissive(m3.start())
            and ctx.section == "inclusion"
        ):
            return [Constraint(kind="prior_lines", max=0.0)]
        m4 = _PRETREATED.search(t)
        if m4 is not None and not ctx.permissive(m4.start()) and not ctx.in_parentheses(m4.start()):
            clause = ctx.clause_text(m4.start())
            if not _NOT_PRIOR.search(_strip_parentheses(clause)) and not ctx.negated(m4.start()):
                return [Constraint(kind="prior_lines", min=1.0)]
        return []
    return [Constraint(kind="prior_lines", min=lo, max=hi)]


# ---- prior therapy and refractoriness --------------------------------------------------------------------

#: Development codes, brand names and INNs of old registry text that the drug vocabulary does not list
#: (an INN outside the vocabulary is kept as written).
DRUG_CODES: dict[str, str] = {
    "cc-5013": "lenalidomide",
    "cc5013": "lenalidomide",
    "cc-4047": "pomalidomide",
    "actimid": "pomalidomide",
    "ps-341": "bortezomib",
    "ps341": "bortezomib",
    "ldp-341": "bortezomib",
    "pr-171": "carfilzomib",
    "mln9708": "ixazomib",
    "mln-9708": "ixazomib",
    "lbh589": "panobinostat",
    "abt-199": "venetoclax",
    "kpt-330": "selinexor",
    "sar650984": "isatuximab",
    "humax-cd38": "daratumumab",
    "thalidomid": "thalidomide",
    "aplidin": "plitidepsin",
    "plitidepsin": "plitidepsin",
    "mylotarg": "gemtuzumab ozogamicin",
    "gemtuzumab ozogamicin": "gemtuzumab ozogamicin",
    "rad001": "everolimus",
    "everolimus": "everolimus",
    "afinitor": "everolimus",
    "temsirolimus": "temsirolimus",
    "ibrutinib": "ibrutinib",
    "imbruvica": "ibrutinib",
    "oprozomib": "oprozomib",
    "marizomib": "marizomib",
    "cep-18770": "delanzomib",
    "delanzomib": "delanzomib",
    "nivolumab": "nivolumab",
    "pembrolizumab": "pembrolizumab",
    "durvalumab": "durvalumab",
    "tremelimumab": "tremelimumab",
    "ipilimumab": "ipilimumab",
    "atezolizumab": "atezolizumab",
    "rituximab": "rituximab",
    "rituxan": "rituximab",
    "dasatinib": "dasatinib",
    "imatinib": "imatinib",
    "gleevec": "imatinib",
    "sorafenib": "sorafenib",
    "perifosine": "perifosine",
    "tipifarnib": "tipifarnib",
    "azacitidine": "azacitidine",
    "decitabine": "decitabine",
    "romidepsin": "romidepsin",
    "ricolinostat": "ricolinostat",
    "filanesib": "filanesib",
    "dinaciclib": "dinaciclib",
    "bevacizumab": "bevacizumab",
    "arsenic trioxide": "arsenic trioxide",
    "tinostamustine": "tinostamustine",
}
# Short abbreviations are read only when they cannot be an ordinary word or unit.
_SHORT_NAMES_KEPT = frozenset(
    {"dara", "btz", "cfz", "bcnu", "thal", "elra", "talq", "benda", "linvo", "pano"}
)


@cache
def _drug_pattern() -> re.Pattern[str]:
    names: set[str] = set(DRUG_CODES)
    for drug in drug_vocabulary().drugs():
        if drug.role != "anti-myeloma":
            continue
        for name in (drug.inn, *drug.brands, *drug.aliases):
            key = name.lower()
            if len(key) >= 5 or key in _SHORT_NAMES_KEPT:
                names.add(key)
    alternatives = sorted(names, key=len, reverse=True)
    body = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?") for n in alternatives)
    # "VelcadeR", "MylotargR": a registered-trademark sign flattened to an R.
    return re.compile(r"(?<!\w)(?:" + body + r")(?:(?-i:R))?(?!\w)", re.I)


def _resolve(name: str) -> str | None:
    if name.endswith("R") and name[-2:-1].islower():
        name = name[:-1]
    key = re.sub(r"[\s-]+", "-", name.lower())
    for candidate in (key, key.replace("-", " "), key.replace("-", "")):
        if candidate in DRUG_CODES:
            return DRUG_CODES[candidate]
    try:
        return drug_vocabulary().resolve(name)
    except UnknownDrugError:
        try:
            return drug_vocabulary().resolve(key.replace("-", " "))
        except UnknownDrugError:
            return None


_CLASS_PATTERNS: tuple[tuple[str, str], ...] = (
    ("triple-class", r"triple[\s-]*class|triple[\s-]+(?:refractory|exposed)"),
    ("PI", r"proteasome[\s-]+inhibit(?:or|ors|ion)|(?<![\w-])PIs?(?![\w-])(?!\s+(?:discretion|judg))"),
    (
        "IMiD",
        r"immuno-?modulatory\s+(?:imide\s+)?(?:drugs?|agents?|derivatives?|compounds?|therap(?:y|ies))|"
        r"\bIMi?Ds?\b|immuno-?modulat(?:ors?|ing\s+(?:drugs?|agents?))",
    ),
    (
        "anti-CD38",
        r"anti[\s-]*(?:cluster\s+of\s+differentiation\s*(?:\(CD\)\s*)?|CD\s*)38|CD\s*38[\s-]+(?:directed|targeted|targeting|"
        r"monoclonal|antibod|mAbs?|MoAbs?|therap|agent)",
    ),
    ("anti-SLAMF7", r"anti[\s-]*SLAMF7|SLAMF7[\s-]+(?:directed|targeted|antibod)"),
    ("GPRC5D", r"\bGPRC5D\b"),
    ("FcRH5", r"\bFcRH5\b"),
    ("BCMA", r"anti[\s-]*BCMA|\bBCMA\b|B[\s-]cell\s+maturation\s+antigen"),
    ("XPO1", r"\bXPO-?1\b|exportin|selective\s+inhibitors?\s+of\s+nuclear\s+export"),
    ("BCL2", r"\bBCL-?2\s+inhibitors?"),
    ("HDAC", r"\bHDAC\s*inhibitors?|histone[\s-]+deacetylase"),
    ("alkylator", r"alkylating\s+(?:agents?|chemotherapy|therapy)|\balkylators?\b"),
    ("anthracycline", r"\banthracyclines?\b"),
    ("CAR-T", r"\bCAR[\s-]*T\b|\bCAR[\s-]*T[\s-]*cells?|chimeric\s+antigen\s+receptor"),
    ("bispecific", r"\bbi-?specifics?\b|T[\s-]*cell[\s-]+(?:engagers?|engaging|redirect\w*)"),
    ("ADC", r"antibody[\s-]+drug[\s-]+conjugates?|\bADCs?\b"),
)
_CLASS_RE = re.compile("|".join(f"(?P<c{i}>{p})" for i, (_, p) in enumerate(_CLASS_PATTERNS)), re.I)

_REFRACTORY_BEFORE = re.compile(
    r"(?:refractory|resistant|resistance)\s+(?:[\w-]+\s+){0,4}?(?:to|on|against)\b|"
    r"progress(?:ed|ion|ive\s+disease)\s+(?:[\w-]+\s+){0,3}?(?:on|while\s+(?:on|receiving))\b",
    re.I,
)
_REFRACTORY_AFTER = re.compile(r"^[\s-]*(?:\)\s*)?(?:refractory|resistant)\b", re.I)
_PRIOR_CUE = re.compile(
    r"\bprior\b(?!\s+to\b)|\bprevious(?:ly)?\b|\breceived\b|\bexposure\b|\bexposed\b|\btreated\s+with\b|"
    r"\btreatment\s+with\b|\btherapy\s+with\b|\bhistory\s+of\b|\bpre-?treated\b|\bna[iï]ve\b|\bfailed\b|"
    r"\bfailure\b|\bcontaining\b|\bbased\b|\bafter\b|\bfollowing\b|\bincluding\b|\bhad\b|\bundergone\b|"
    r"\bincluded\b|\bpretreatment\b|\bbeen\s+treated\b|\brelapsed\b|\buse\s+of\b",
    re.I,
)
_NOT_PRIOR = re.compile(
    r"\bsince\b|\bwithin\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+|preceding\s+)?\d|\bwash-?out\b|"
    r"\b\d+\s*(?:days?|weeks?|wks?|hours?|hrs?|months?)\b|"
    r"\bconcurrent|\bconcomitant|\bhypersensitiv|\ballerg|\bintoleran|\bintolerab|\bcontra-?indicat|"
    r"\bsensitivity\b|mg/m\s*\^?2|mg/m²|\bcumulative\b|\bcandidates?\b|\beligible\s+for\b|"
    r"\bable\s+to\s+(?:receive|take|tolerate)|\bwilling\b|\bscheduled\b|\bplanned\b|"
    r"\bwill\s+(?:receive|be\s+(?:treated|given))|\bprophyla|\bduring\b|\bwhile\b|\bcurrently\b|\brash\b|"
    r"\btoxicit|\badverse\b|\breactions?\b|\bassociated\s+with\b|\brelated\s+to\b|\bdue\s+to\b|"
    r"\bsecondary\s+to\b|\binduced\b|\bdiscontinu|\bsuitable\b|\bappropriate\s+for\b|\bstudy\s+(?:drug|treatment)|"
    r"\bas\s+(?:a\s+)?combination\b|\bcombination\s+(?:therapy|regimen|treatment)\b|\bside\s+effects?\b|^\s*if\b|"
    r"\bconditioning\b|contracept|birth\s+control|pregnan|menopaus|abstinence|absorption|\btoleran",
    re.I,
)
_INTERVENING = re.compile(
    r"\breceived\b|\bexposed\b|\bexposure\b|\btreated\b|\btreatment\s+with\b|\bhad\b|\bundergone\b|"
    r"\btherapy\s+with\b|\bna[iï]ve\b",
    re.I,
)
_NAIVE = re.compile(r"^[\s-]*(?:\)\s*)?na[iï]ve\b", re.I)


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    target: str


def _therapy_mentions(t: str) -> list[_Mention]:
    out: list[_Mention] = []
    for m in _drug_pattern().finditer(t):
        inn = _resolve(m.group())
        if inn is not None:
            out.append(_Mention(m.start(), m.end(), inn))
    for m in _CLASS_RE.finditer(t):
        for i, (target, _) in enumerate(_CLASS_PATTERNS):
            if m.group(f"c{i}") is not None:
                out.append(_Mention(m.start(), m.end(), target))
                break
    out.sort(key=lambda x: x.start)
    kept: list[_Mention] = []
    for mention in out:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept


def _drug_class(target: str) -> str | None:
    vocabulary = drug_vocabulary()
    return vocabulary.drug_class(target) if target in vocabulary else None


def _therapy(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    mentions = _therapy_mentions(t)
    read: list[tuple[_Mention, Constraint]] = []
    for mention in mentions:
        a, b = ctx.clause(mention.start)
        if ctx.in_exception(mention.start):
            # "Prior therapy with any agent except BCMA-directed agents is allowed": the exception is
            # what the inclusion criteria do not allow.
            clause = t[a:b]
            if ctx.section == "inclusion" and _ALLOWED.search(clause) and re.search(r"\bany\b", clause, re.I):
                read.append((mention, Constraint(kind="prior_therapy", target=mention.target, negated=True)))
            continue
        # A drug named as a member of a class the clause names ("VELCADE or another PI", "an IMiD
        # (thalidomide or lenalidomide)") stands for the class.
        drug_class = _drug_class(mention.target)
        if drug_class is not None and any(
            other.target == drug_class and a <= other.start < b for other in mentions if other is not mention
        ):
            continue
        if ctx.in_parentheses(mention.start):
            continue  # examples, abbreviations and allowances attached to the main rule
        clause_before = t[a : mention.start]
        clause_after = t[mention.end : b]
        near_before = clause_before[-90:]
        rb = list(_REFRACTORY_BEFORE.finditer(near_before))
        refractory = bool(rb) and not _INTERVENING.search(near_before[rb[-1].end() :])
        if _REFRACTORY_AFTER.search(clause_after) or re.match(
            r"^[\w\s,/-]{0,40}?(?:and|or)\s*(?:/or\s*)?(?:refractory|resistant)\b", clause_after, re.I
        ):
            refractory = True
        clause = t[a:b]
        if ctx.permissive(mention.start):
            continue
        if re.search(r"\bcombination\s+(?:therapy|regimen|treatment)\b", clause, re.I):
            continue  # an exposure to one specific combination
        if not refractory and (
            not _PRIOR_CUE.search(clause) or _NOT_PRIOR.search(_strip_parentheses(clause))
        ):
            continue
        negated = ctx.negated(mention.start)
        if not refractory and _NAIVE.search(clause_after):
            negated = not negated
        if refractory:
            read.append((mention, Constraint(kind="refractory", target=mention.target, negated=negated)))
        else:
            read.append((mention, Constraint(kind="prior_therapy", target=mention.target, negated=negated)))
    # "Triple-class exposed (defined as a PI, an IMiD and an anti-CD38 antibody)": the definition is not
    # encoded beside the class.
    triple = {ctx.clause(m.start) for m, c in read if c.target == "triple-class"}
    read = [
        (m, c)
        for m, c in read
        if not (c.target in ("PI", "IMiD", "anti-CD38") and ctx.clause(m.start) in triple)
    ]
    return _alternatives(ctx, read)


_ALTERNATIVE_GAP = re.compile(
    r"^\s*,?\s*(?:and/or|or)\s+(?:either\s+)?(?:an?\s+|the\s+|other\s+|another\s+)?$|^\s*,\s*$", re.I
)


def _alternatives(ctx: _Context, read: list[tuple[_Mention, Constraint]]) -> list[Constraint]:
    """Therapies required as alternatives in the inclusion criteria ("that included either lenalidomide or
    thalidomide") cannot each be required: they give one ``unstructured`` instead. Negated ("no prior
    pomalidomide or everolimus") or in the exclusion criteria, each one stands on its own."""
    if ctx.section != "inclusion":
        return [c for _, c in read]
    out: list[Constraint] = []
    i = 0
    while i < len(read):
        j = i
        joined_by_or = False
        while j + 1 < len(read) and not read[j][1].negated and not read[j + 1][1].negated:
            gap = ctx.text[read[j][0].end : read[j + 1][0].start]
            if not _ALTERNATIVE_GAP.match(gap):
                break
            joined_by_or = joined_by_or or re.search(r"\bor\b", gap, re.I) is not None
            j += 1
        if j > i and joined_by_or:
            out.append(Constraint(kind="unstructured"))
        else:
            out.extend(c for _, c in read[i : j + 1])
        i = j + 1
    return out


# ---- measurable disease ----------------------------------------------------------------------------------


def _measurable(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    for m in re.finditer(r"\b(?P<non>non-?\s*|im)?measure?able\b", t, re.I):
        before = t[max(0, m.start() - 25) : m.start()]
        if re.search(r"absence\s+of\s*$|without\s*$|in\s+absence\s+of\s+(?:\w+\s+)?$", before, re.I):
            continue
        if ctx.in_parentheses(m.start()):
            continue
        negated = ctx.negated(m.start())
        if m["non"]:
            negated = not negated
        return [Constraint(kind="measurable_disease", negated=negated)]
    return []


# ---- laboratory values -----------------------------------------------------------------------------------

_LAB_MENTIONS: tuple[tuple[str, str], ...] = (
    ("crcl", r"creatin(?:in)?e\s+clearance|\bcr\s*cl\b|\bcl\s*cr\b|\bCCr\b|\bCLcr\b"),
    ("egfr", r"\beGFR\b|(?:estimated\s+)?glomerular\s+filtration\s+rate|\bGFR\b"),
    ("creatinine", r"\bcreatinine\b(?!\s*(?:clearance|kinase|cl\b))|\bserum\s+Cr\b"),
    ("bilirubin", r"\bbilirubin\b|\bT\.?\s*bili\b"),
    (
        "transaminases",
        r"(?:alanine|aspartate|alanin|aspartat)\s+(?:amino)?transferas(?:e|es|is)|\baminotransferas(?:e|es|is)\b|"
        r"\btransaminases?\b|\b(?:liver|hepatic)\s+enzymes\b|\b(?:AST|ALT|SGOT|SGPT|ASAT|ALAT)\b",
    ),
    ("calcium", r"\b(?:corrected\s+)?(?:serum\s+)?calcium\b(?!\s+channel)|(?-i:\bCa\b)"),
    ("hemoglobin", r"\bh(?:a)?emoglobin\b|\bHg?b\b|\bHGB\b"),
    (
        "anc",
        r"absolute\s+neutrophil\s+counts?|\bANC\b|\bneutrophils?(?:\s+counts?)?\b|absolute\s+granulocyte\s+count|"
        r"\bgranulocytes?(?:\s+counts?)?\b(?!\s*-?\s*(?:colony|macrophage))|\bAGC\b",
    ),
    ("platelets", r"\bplatelets?(?:\s+counts?)?\b(?!\s+transfusion)|\bPLT\b|\bthrombocytes?\b"),
    # Tests that are not constraint labs: they only end the reach of the tests above.
    (
        "",
        r"\bWBC\b|white\s+blood\s+cell|leukocytes?|alkaline\s+phosphatase|\bALP\b|\bLDH\b|lactate\s+dehydrogenase|"
        r"albumin|potassium|sodium|magnesium|phosph(?:orus|ate)|uric\s+acid|\bINR\b|\bPTT\b|\bPT\b|"
        r"ejection\s+fraction|\bLVEF\b|\bDLCO\b|\bFEV1?\b|M-?\s*protein|M-?\s*spike|paraprotein|"
        r"creatin(?:in)?e?\s+kinase|\bCP?K\b|\bCD34\b|plasma\s+cells?|lymphocytes?|\bCD4\b|troponin|\bBNP\b|amylase|"
        r"lipase|glucose|bicarbonate|\bTSH\b|thyroxine|\bQTc?\b|free\s+light\s+chain|\bFLC\b|\bIg[AGMDE]\b|"
        r"\bbeta-?2|\bblasts?\b|\bfibrinogen\b|\bHbA1c\b",
    ),
)
_LAB_RE = re.compile("|".join(f"(?P<t{i}>{p})" for i, (_, p) in enumerate(_LAB_MENTIONS)), re.I)
_CONNECTOR = re.compile(
    r"^(?:\s|,|/|&|\(|\)|-|\band\b|\bor\b|\bboth\b|\bserum\b|\btotal\b|\bdirect\b|\bconjugated\b|\blevels?\b|"
    r"\bvalues?\b|\bcounts?\b|\beither\b|\bthe\b)*$",
    re.I,
)
_ULN = (
    r"(?:x|\*|times?|-?fold)?\s*(?:of\s+)?(?:the\s+)?(?:institutional\s+|laboratory\s+|local\s+|site\s+|normal\s+|"
    r"study\s+)?(?:upper\s+limits?(?:\s+(?:of\s+)?(?:the\s+)?(?:institutional\s+|laboratory\s+|local\s+)?(?:normal"
    r"(?:\s+range)?|institution(?:al)?(?:\s+normal)?|laboratory|reference\s+range))?|upper\s+(?:reference|normal)\s+"
    r"limits?|upper\s+range\s+of\s+normal|\bI?ULN\b|\bUNL\b|\bULRR\b|normal\b|\bN\b)"
)
_UNIT = (
    r"(?P<e9>(?:x|\*|\.)?\s*10\s*(?:\^|\*\*|e|exp)?\s*\(?\s*(?P<exp>9|3)\s*\)?\s*(?:cells?\s*)?"
    r"(?:/|per)\s*(?:L|liter|litre|uL|mm3|mm\^3|mm\s*3|cu\.?\s*mm)\b|(?-i:G)\s*/\s*[lL]\b|/\s*nL\b|"
    r"(?-i:K)\s*/\s*(?:uL|mm3)\b)"
    r"|(?P<ul>(?:cells?\s*)?(?:/|per)\s*(?:u|mc|micro)\s*(?:L|liter|litre)\b|(?:cells?\s*)?(?:/|per)\s*"
    r"(?:cu\.?\s*)?mm\s*\^?\s*3\b|(?:cells?\s*)?(?:/|per)\s*cmm\b|(?:cells?\s*)?/\s*mL\b)"
    r"|(?P<mgdl>mg\s*/\s*dL\b|mg\s*%|mg/100\s*mL\b|mg\s+per\s+dL\b)"
    r"|(?P<umol>(?:u|mc|micro)\s*mol(?:es)?\s*/\s*L\b)"
    r"|(?P<mmol>mmol\s*/\s*L\b)"
    r"|(?P<gdl>g(?:m|r|ms)?\s*/\s*dL\b|g\s*%)"
    r"|(?P<gl>g\s*/\s*L\b)"
    r"|(?P<mlmin>(?:mL|cc)\s*/\s*(?:min(?:ute)?|mn)(?:\s*/\s*1[.,]73\s*m\s*\^?\s*2)?|mL\s+per\s+min(?:ute)?)"
    r"|(?P<ul_enzyme>I?U\s*/\s*L\b)"
    r"|(?P<uln>" + _ULN + r")"
    r"|(?P<pct>%|percent)"
    r"|(?P<time>days?|weeks?|wks?|months?|hours?|hrs?|years?)\b"
)
_UNIT_RE = re.compile(_UNIT, re.I)
_LAB_VALUE = re.compile(
    r"(?P<cmp>>=|<=|>|<)?\s*(?P<v>" + _NUM + r")(?:\s*(?:-|to)\s*(?P<v2>" + _NUM + r"))?"
    r"\s*(?P<unit>" + _UNIT + r")?(?P<post>\s*\b(?:ORMORE|ORLESS))?",
    re.I,
)
_LAB_ULN_ONLY = re.compile(
    r"(?P<cmp>>=|<=|>|<)\s*(?:the\s+|1\s*x\s*)?(?:institutional\s+|laboratory\s+)?(?:I?ULN|upper\s+limits?\s+of\s+"
    r"normal)|(?P<normal>^\W*(?:is\s+|must\s+be\s+|levels?\s+|values?\s+)?(?:within\s+(?:the\s+)?(?:institutional\s+)?"
    r"normal\s+(?:limits|range)|normal\b|\bWNL\b))|(?P<above>\babove\s+(?:the\s+)?(?:institutional\s+)?(?:I?ULN|upper\s+"
    r"limit\s+of\s+normal|normal\s+range))",
    re.I,
)
_LABEL_NUMBER = re.compile(
    r"\b(?:groups?|cohorts?|arms?|phases?|stages?|parts?|levels?|days?|cycles?|grades?|class|type|version|v)"
    r"\s*(?:\d+\s*(?:-|and|,|or)\s*)?$",
    re.I,
)


def _lab_groups(t: str) -> list[tuple[list[str], int, int]]:
    """Lab mentions grouped when only connectors separate them ("AST and ALT"), with their span."""
    mentions: list[tuple[str, int, int]] = []
    for m in _LAB_RE.finditer(t):
        for i, (test, _) in enumerate(_LAB_MENTIONS):
            if m.group(f"t{i}") is not None:
                mentions.append((test, m.start(), m.end()))
                break
    groups: list[tuple[list[str], int, int]] = []
    for test, s, e in mentions:
        if groups:
            tests, gs, ge = groups[-1]
            gap = re.sub(r"\([A-Za-z/ ]{1,12}\)?", " ", t[ge:s])
            if _CONNECTOR.match(gap):
                if test not in tests:
                    tests.append(test)
                groups[-1] = (tests, gs, e)
                continue
        groups.append(([test], s, e))
    return groups


def _round_molar(value: float) -> float:
    """Molar results converted to mg/dL are rounded to 2 decimals (as the labelled set does)."""
    return float(round(value, 2))


def _lab_convert(test: str, v: float, unit: re.Match[str] | None) -> float | None:
    """``v`` in the canonical unit of ``test`` (:data:`LAB_UNITS`); ``None`` when the unit does not fit."""
    if test in ("anc", "platelets"):
        if unit is None:
            per_ul = v >= (100 if test == "anc" else 1000)
            return to_canonical(test, v, "/uL")[0] if per_ul else v
        if unit["e9"] is not None:
            return v
        if unit["ul"] is not None:
            return to_canonical(test, v, "/uL")[0]
        return None
    if test in ("crcl", "egfr"):
        return v if unit is None or unit["mlmin"] is not None else None
    if test == "transaminases":
        return (
            v if unit is None or unit["ul_enzyme"] is not None else None
        )  # U/L (small bare values: see caller)
    if test == "hemoglobin":
        if unit is None:
            return to_canonical(test, v, "g/L")[0] if v > 25 else v
        if unit["gdl"] is not None:
            return v
        if unit["gl"] is not None:
            return to_canonical(test, v, "g/L")[0]
        if unit["mmol"] is not None:
            return _round_molar(v * 1.611)  # haemoglobin (monomer) 16.11 g/mmol
        return None
    # creatinine, bilirubin, calcium: mg/dL, or molar units converted through the molar mass.
    if unit is None:
        molar = (test == "calcium" and v < 5) or (test != "calcium" and v > 20)
        if not molar:
            return v
        return _round_molar(to_canonical(test, v, "umol/L" if test != "calcium" else "mmol/L")[0])
    if unit["mgdl"] is not None:
        return v
    if unit["umol"] is not None:
        return _round_molar(to_canonical(test, v, "umol/L")[0])
    if unit["mmol"] is not None:
        return _round_molar(to_canonical(test, v, "mmol/L")[0])
    return None


def _lab_constraint(test: str, m: re.Match[str]) -> Constraint | None:
    v = _number(m["v"])
    v2 = _number(m["v2"]) if m["v2"] else None
    cmp, post = m["cmp"], (m["post"] or "").strip()
    lo: float | None = None
    hi: float | None = None
    if v2 is not None and not cmp:
        lo, hi = v, v2
    elif cmp:
        lo, hi = (v, None) if cmp.startswith(">") else (None, v)
    elif post == "ORMORE":
        lo = v
    elif post == "ORLESS":
        hi = v
    else:
        return None
    unit = _UNIT_RE.match(m["unit"].strip()) if m["unit"] else None
    if unit is not None and (unit["pct"] or unit["time"]):
        return None
    if (unit is not None and unit["uln"] is not None) or (
        test == "transaminases" and unit is None and v <= 10
    ):
        # "ALT <= 3": a bare small transaminase limit is a multiple of the ULN
        return Constraint(kind="lab", test=test, min=lo, max=hi, uln_multiple=True)
    try:
        lo_c = _lab_convert(test, lo, unit) if lo is not None else None
        hi_c = _lab_convert(test, hi, unit) if hi is not None else None
    except (UnitError, ValueError):
        return None
    if (lo is not None and lo_c is None) or (hi is not None and hi_c is None):
        return None
    return Constraint(kind="lab", test=test, min=lo_c, max=hi_c, unit=LAB_UNITS[test])


def _labs(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    groups = _lab_groups(t)
    outside = [g for g in groups if any(g[0]) and not ctx.in_parentheses(g[1])]
    if outside:
        # "Creatinine <= 2 mg/dL (patients with a creatinine > 1.2 must have GFR > 40)": the attached
        # condition in parentheses is not encoded.
        groups = [g for g in groups if not any(g[0]) or not ctx.in_parentheses(g[1])]
    out: dict[str, Constraint] = {}
    for i, (tests, _, end) in enumerate(groups):
        real = [x for x in tests if x and x not in out]
        if not real:
            continue
        _, cb = ctx.clause(end - 1)
        stop = groups[i + 1][1] if i + 1 < len(groups) else len(t)
        window = t[end : min(stop, cb, end + 110)]
        found: Constraint | None = None
        uln_only = _LAB_ULN_ONLY.search(window)
        pos = 0
        while pos < len(window):
            m = _LAB_VALUE.search(window, pos)
            if m is None or (uln_only is not None and uln_only.start() < m.start()):
                break
            unit = (m["unit"] or "").strip()
            label = _LABEL_NUMBER.search(window[: m.start("v")])
            if (
                re.match(r"(?:days?|weeks?|wks?|months?|hours?|hrs?|years?)\b", unit, re.I)
                or label is not None
            ):
                pos = m.end()
                continue
            for test in real:
                c = _lab_constraint(test, m)
                if c is not None:
                    out.setdefault(test, c)
                    found = c
            break
        if found is None and uln_only is not None:
            lo: float | None = None
            hi: float | None = 1.0
            if uln_only["above"] or (uln_only["cmp"] or "").startswith(">"):
                lo, hi = 1.0, None
            for test in real:
                out.setdefault(test, Constraint(kind="lab", test=test, min=lo, max=hi, uln_multiple=True))
    return list(out.values())


# ---- transplant ------------------------------------------------------------------------------------------

_TRANSPLANT_WORD = r"(?:HCT|SCT|HSCT|BMT|PBSCT|transplant\w*|graft\w*|rescue|support)"
_AUTO = re.compile(
    r"\bautologous\b(?=(?:[\s,/()-]+[\w()]+){0,6}?[\s,/()-]+" + _TRANSPLANT_WORD + r")|"
    r"\bauto[\s-]?(?:SCT|HSCT|PBSCT|HCT|BMT|transplant\w*|graft\w*)\b|\bA(?:PB)?SCT\b|\bAHSCT\b|\bAHCT\b|"
    r"\bautotransplant\w*",
    re.I,
)
_ALLO = re.compile(
    r"\ballogen(?:e)?ic\b(?=(?:[\s,/()-]+[\w()]+){0,6}?[\s,/()-]+" + _TRANSPLANT_WORD + r")|"
    r"\ballo[\s-]?(?:SCT|HSCT|HCT|BMT|PBSCT|transplant\w*|graft\w*)\b|\ballograft\w*",
    re.I,
)
_GENERIC_TRANSPLANT = re.compile(
    r"\b(?:(?:hematopoietic|haematopoietic|peripheral\s+blood)\s+)?(?:stem[\s-]+cell|bone\s+marrow|"
    r"hematopoietic\s+cell|progenitor\s+cell)\s+(?:transplant\w*|rescue)|\b(?:HSCT|HCT|SCT|BMT)\b(?!-CI|\s+CTN)",
    re.I,
)
_FUTURE = re.compile(
    r"\b(?:candidates?|eligible|ineligible|planned|planning|scheduled|suitable|approved|proceed\w*|"
    r"undergo(?:ing)?\b(?!ne)|to\s+receive|will\s+receive|consolidation|followed\s+by|appropriate|deemed|"
    r"intend\w*|considered\s+for|referred|mobiliz\w*|collect\w*|treatable|fitting|criteria\s+for|available)\b",
    re.I,
)
_NOT_TRANSPLANT = re.compile(
    r"\b(?:double|tandem|second|solid\s+organ|graft[\s-]+(?:versus|vs\.?)[\s-]+host|GVHD|GvHD)\b|\b(?:post|pre)-$",
    re.I,
)
_WITHIN = re.compile(
    r"\bwithin\s+(?:the\s+)?(?:past\s+|last\s+|previous\s+|prior\s+|preceding\s+)?(?:(?P<a>\d+)\s*-\s*)?"
    r"(?P<n>\d+)\s*(?P<u>days?|weeks?|wks?|months?|mos?|years?)\b|"
    r"<=?\s*(?P<n2>\d+)\s*(?P<u2>days?|weeks?|months?)\s+(?:since|after|from|of|post)\b",
    re.I,
)
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def _transplant(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    out: list[Constraint] = []
    named: list[tuple[int, int]] = []

    def read(pos: int) -> tuple[bool, int | None] | None:
        """(negated, within_days) of the transplant mentioned at ``pos``; ``None``: no constraint."""
        a, b = ctx.clause(pos)
        before = t[a:pos]
        if ctx.in_exception(pos) or ctx.permissive(pos) or ctx.in_parentheses(pos):
            return None
        if _NOT_TRANSPLANT.search(before[-25:]) or re.search(
            r"\b(?:before|prior\s+to|until)\s*$", before, re.I
        ):
            return None
        if _NOT_TRANSPLANT.search(t[a:b]) and not re.search(
            r"\b(?:double|tandem|second|solid)", t[a:b], re.I
        ):
            return None  # GVHD clauses
        if re.search(r"\b(?:double|tandem|second)\s+(?:\(\w+\)\s+)?$", before[-30:], re.I):
            return None
        if _FUTURE.search(before) and not re.search(
            r"\b(?:prior|previous|received|after|relapse)", before[-40:], re.I
        ):
            return None
        if re.match(
            r"[^,;]{0,40}?\b(?:is|are|be)\s+(?:\w+\s+){0,2}?(?:appropriate|indicated|planned|deemed|eligible)",
            t[pos:b],
            re.I,
        ):
            return None
        if re.match(
            r"[\w\s()-]{0,40}?\b(?:candidates?|available|product|CD\s*34|cryopreserv\w*|freez\w*)",
            t[pos:b],
            re.I,
        ):
            return None
        if re.match(r"\s*if\b", before, re.I):
            return None
        if re.search(r"\b(?:will\s+be|is|are)\s+considered\b|\bdefined\s+as\b", t[a:b], re.I):
            return None  # a definition ("stable disease following ASCT will be considered ...")
        within: int | None = None
        # The time limit of this transplant: in its own part of the clause ("ASCT within 12 weeks, or
        # allogeneic SCT regardless of timing"), else anywhere in the clause.
        own = re.split(
            r",\s*(?:or|and)\b|;|\bor\s+(?:has|had|have|previously|received)\b", t[pos:b], maxsplit=1
        )[0]
        mentions = (
            len(_AUTO.findall(t[a:b])) + len(_ALLO.findall(t[a:b])) + len(_GENERIC_TRANSPLANT.findall(t[a:b]))
        )
        w = _WITHIN.search(own) or (_WITHIN.search(t[a:b]) if mentions <= 1 else None)
        if w is not None:
            n = int(w["n"] or w["n2"])
            within = n * _DAYS[(w["u"] or w["u2"]).lower()[0]]
        negated = ctx.negated(pos)
        if ctx.section == "inclusion" and re.search(r"\bnot\s+within\b", t[a:b], re.I):
            negated = True
        return negated, within

    for target, pattern in (("autologous", _AUTO), ("allogeneic", _ALLO)):
        for m in pattern.finditer(t):
            named.append(ctx.clause(m.start()))
            r = read(m.start())
            if r is None:
                continue
            negated, within = r
            out.append(Constraint(kind="transplant", target=target, within_days=within, negated=negated))
            break
    # An unspecified stem cell or bone marrow transplant is both kinds; read only where both are meant.
    for m in _GENERIC_TRANSPLANT.finditer(t):
        if ctx.clause(m.start()) in named:
            continue
        if not re.search(
            r"\b(?:prior|previous\w*|received|undergone|history|after|following|post|within)\b",
            ctx.clause_text(m.start()),
            re.I,
        ):
            continue
        r = read(m.start())
        if r is None:
            continue
        negated, within = r
        if ctx.section == "exclusion" or negated:
            for target in ("autologous", "allogeneic"):
                out.append(Constraint(kind="transplant", target=target, within_days=within, negated=negated))
        break
    return out


# ---- cytogenetics, disease features, infections, other conditions ---------------------------------------

_TRANSLOCATIONS = frozenset({"t(4;14)", "t(14;16)", "t(14;20)", "t(11;14)", "t(6;14)"})
_CYTOGENETICS: tuple[tuple[str, str], ...] = (
    (
        "del(17p)",
        r"del\s*\(?\s*17\s*p|17\s*p\s*-?\s*(?:13\s*)?del(?:etion|eted)?|deletion\s+(?:of\s+)?(?:chromosome\s+)?17\s*p|"
        r"\bdel\s*\(17\)\s*\(p",
    ),
    ("TP53 mutation", r"\bTP53\s+mutat\w*|\bp53\s+mutat\w*|\bTP53\s*mut\b"),
    (
        "amp(1q)",
        r"amp\s*\(?\s*1\s*q|1\s*q\s*(?:21\s*)?amplifi\w*|amplification\s+(?:of\s+)?(?:chromosome\s+)?1\s*q",
    ),
    (
        "gain(1q)",
        r"gain\s*\(?\s*1\s*q|1\s*q\s*(?:21\s*)?gain|\+\s*1\s*q\b|gain\s+of\s+(?:chromosome\s+)?1\s*q|1q21\+",
    ),
    (
        "del(1p)",
        r"del\s*\(?\s*1\s*p\b|1\s*p\s*(?:32\s*)?del(?:etion)?|deletion\s+(?:of\s+)?(?:chromosome\s+)?1\s*p\b",
    ),
    ("hyperdiploidy", r"\bhyperdiploid\w*"),
)


def _cytogenetics(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    out: list[Constraint] = []
    for m in re.finditer(r"\bt\s*\(\s*(\d{1,2})\s*[;,:]\s*(\d{1,2})\s*\)", t):
        x, y = int(m[1]), int(m[2])
        for target in (f"t({x};{y})", f"t({y};{x})"):
            if target in _TRANSLOCATIONS and not ctx.in_exception(m.start()):
                out.append(Constraint(kind="cytogenetics", target=target, negated=ctx.negated(m.start())))
                break
    for target, pattern in _CYTOGENETICS:
        for m in re.finditer(pattern, t, re.I):
            if not ctx.in_exception(m.start()):
                out.append(Constraint(kind="cytogenetics", target=target, negated=ctx.negated(m.start())))
            break
    return out


_FEATURES: tuple[tuple[str, str], ...] = (
    (
        "plasma_cell_leukemia",
        r"plasma[\s-]*cell\s+leuk(?:a)?emia|\bPCL\b|circulating\s+plasma\s+cells?\s*(?:>=|>)",
    ),
    ("amyloidosis", r"amyloidosis|\bAL\s+amyloid\b"),
    (
        "cns_involvement",
        r"(?:\bCNS\b|central\s+nervous\s+system|\bmeningeal|\bleptomeningeal|\bbrain)\s*(?:\(CNS\)\s*)?"
        r"(?:\w+\s+){0,2}?(?:involvement|disease|myeloma|metastas[ie]s|plasmacytomas?|lesions?|infiltration|"
        r"malignancy)|\bleptomeningeal\b|carcinomatous\s+meningitis|(?:myeloma|plasmacytoma)\s+(?:of|involving|in)\s+"
        r"the\s+(?:CNS|central\s+nervous\s+system|brain)",
    ),
)


def _features(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    out: list[Constraint] = []
    for target, pattern in _FEATURES:
        for m in re.finditer(pattern, t, re.I):
            if ctx.in_exception(m.start()) or ctx.permissive(m.start()) or ctx.in_examples(m.start()):
                continue
            if re.search(
                r"\bfor\s+(?:documented\s+|known\s+)?$|\bradiotherapy\s+for\s+$",
                t[max(0, m.start() - 20) : m.start()],
                re.I,
            ):
                continue
            out.append(Constraint(kind="disease_feature", target=target, negated=ctx.negated(m.start())))
            break
    return out


_VIRUSES: tuple[tuple[str, str], ...] = (
    ("hiv", r"\bHIV\b|human\s+immuno-?\s*deficiency\s+vir"),
    (
        "hbv",
        r"\bhep(?:atitis|\.)?\s*(?:type\s+|virus\s+|\(\w+\)\s*)?-?\s*\(?\s*Bs?\b|\bHBV\b|\bHBs\s*Ag\b|\bHBsAg\b|"
        r"hepatitis\s+B\s+surface|\bhep(?:atitis|\.)?\s*(?:type\s+)?\(?\s*C\s*(?:,|or|and|and/or|/|&)\s*B\b",
    ),
    (
        "hcv",
        r"\bhep(?:atitis|\.)?\s*(?:type\s+|virus\s+|\(\w+\)\s*)?-?\s*\(?\s*C\b|\bHCV\b|"
        r"\bhep(?:atitis|\.)?\s*(?:type\s+|virus\s+)?\(?\s*B\s*(?:virus\s+)?(?:,|or|and|and/or|/|&)\s*C\b",
    ),
)
_ACTIVE_INFECTION = re.compile(
    r"\b(?:active|uncontrolled|ongoing|serious|severe|acute|systemic|current|significant|intercurrent|invasive|"
    r"clinically\s+significant|untreated)\s+(?P<between>(?:[\w,-]+\s+){0,5}?)infections?\b"
    r"(?!\s+(?:with|by|of)\s+(?:the\s+)?(?:human|hepatitis|HIV|HBV|HCV))|"
    r"\binfections?\s+(?:[\w()-]+\s+){0,3}?requiring\s+(?:[\w()-]+\s+){0,3}?(?:antibiotics?|anti-?microbials?|"
    r"antivirals?|antifungals?|treatment|therapy|hospitali[sz]ation)|\bsepsis\b",
    re.I,
)
_INFECTION_SKIP = re.compile(
    r"\b(?:tested|testing|test\s+for|vaccin\w*|prophyla\w*|(?:should|must)\s+receive|screen(?:ed|ing)?\s+for|"
    r"must\s+meet)\b",
    re.I,
)


def _infections(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    out: list[Constraint] = []
    for target, pattern in _VIRUSES:
        for m in re.finditer(pattern, t, re.I):
            clause = ctx.clause_text(m.start())
            if ctx.in_exception(m.start()) or ctx.permissive(m.start()) or _INFECTION_SKIP.search(clause):
                continue
            if ctx.in_examples(m.start()):
                continue
            if re.match(
                r"\W*(?:\w+\s+)?(?:medications?|drugs?|therapy|treatment|antiretroviral|protease)",
                t[m.end() :],
                re.I,
            ):
                continue
            if re.search(
                r"\b(?:therapy|treatment|antiretroviral\w*)\s+for\s+$",
                t[max(0, m.start() - 30) : m.start()],
                re.I,
            ):
                continue
            negated = ctx.negated(m.start())
            a, b = ctx.clause(m.start())
            near = t[max(a, m.start() - 40) : min(b, m.end() + 90)]
            if ctx.section == "inclusion" and re.search(
                r"\b(?:sero-?)?negative\b|\bnegativ\w*\s+(?:serology|test)", near, re.I
            ):
                negated = not negated
            out.append(Constraint(kind="infection", target=target, negated=negated))
            break
    for m in _ACTIVE_INFECTION.finditer(_blank_parentheses(t)):
        between = m.groupdict().get("between") or ""
        if re.search(r"hepatitis|HIV|HBV|HCV|\bhep\b|CMV", between, re.I):
            continue
        if ctx.in_exception(m.start()) or ctx.permissive(m.start()):
            continue
        out.append(Constraint(kind="infection", target="active_infection", negated=ctx.negated(m.start())))
        break
    return out


_MALIGNANCY = re.compile(
    r"\b(?:other|prior|previous|second|secondary|another|concurrent|concomitant|active|additional|past|"
    r"coexisting|co-existing|any|known|invasive|history\s+of(?:\s+an?)?|diagnosis\s+of\s+another)\s+"
    r"(?:(?:primary|prior|previous|active|invasive|concurrent|or|and|current|malignant|other)\s+){0,3}"
    r"(?:malignan(?:cy|cies|t\s+(?:disease|neoplasms?|tumou?rs?))|cancers?|neoplasms?|neoplasias?|carcinomas?|"
    r"neoplastic\s+diseases?)\b(?!\s+(?:therap|treatment|drugs?|agents?))",
    re.I,
)


def _malignancy(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    for m in _MALIGNANCY.finditer(t):
        if ctx.in_exception(m.start()) or ctx.in_parentheses(m.start()):
            continue
        if re.search(r"hematolog\w*\s+malignan", m.group(), re.I):
            continue
        return [Constraint(kind="prior_malignancy", negated=ctx.negated(m.start()))]
    return []


_GRADE = re.compile(
    r"(?P<cmp1>>=|<=|>|<)?\s*(?:(?:NCI|CTCAE?|toxicity|common|terminology|criteria|v\d|version)\s+){0,3}"
    r"\bgrades?\s*(?P<cmp2>>=|<=|>|<)?\s*(?P<a>[0-5]|IV|I{1,3})\b"
    r"(?:\s*(?:-|to|or|and|/)\s*(?P<b>[0-5]|IV|I{1,3})\b)?(?P<post>\s*\bORMORE|\s*\bORLESS)?(?P<pain>\s+with\s+pain)?",
    re.I,
)


def _grade_number(s: str) -> int:
    return int(s) if s.isdigit() else _ROMAN[s.lower()]


def _graded_min(m: re.Match[str]) -> tuple[float, bool]:
    """The lowest grade (class) the expression names, and whether it was an upper limit (to negate)."""
    a = _grade_number(m["a"])
    groups = m.groupdict()
    cmp = groups.get("cmp1") or groups.get("cmp2") or groups.get("cmp")
    lo, hi = _integer_bounds(cmp, (m["post"] or "").strip(), a)
    if m["b"] is not None or (lo is not None and hi is not None):
        return float(a), False
    if lo is not None:
        return lo, False
    assert hi is not None
    return hi + 1, True


_BARE_GRADE = re.compile(r"(?P<cmp>>=|<=|>|<)\s*(?P<a>[0-4])\b(?![.,]\d)(?P<b>)(?P<post>)")


def _painful(t: str, grades: Sequence[re.Match[str]], i: int, clause_end: int) -> bool:
    """Grade ``i`` is qualified "with pain" (such limits are not the criterion's main rule)."""
    g = grades[i]
    end = grades[i + 1].start() if i + 1 < len(grades) else min(clause_end, g.end() + 40)
    return (
        bool(g["pain"])
        or "pain" in t[g.end() : end].lower()
        or "painful" in t[g.start() - 12 : g.start()].lower()
    )


def _neuropathy(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    for m in re.finditer(
        r"\b(?:peripheral\s+)?(?:sensory\s+|motor\s+)?neuropath(?:y|ies|ic\s+pain)\b", t, re.I
    ):
        before = t[max(0, m.start() - 25) : m.start()]
        if re.search(
            r"diabetic\s*$|autonomic\s*$|POEMS|\b(?:secondary|due|related|attributable)\s+to\s*$",
            before,
            re.I,
        ):
            continue
        if ctx.in_exception(m.start()) or ctx.permissive(m.start()) or ctx.in_parentheses(m.start()):
            continue
        a, b = ctx.clause(m.start())
        grades = list(_GRADE.finditer(t, max(a, m.start() - 45), min(b, m.end() + 60)))

        chosen = next((g for i, g in enumerate(grades) if not _painful(t, grades, i, b)), None)
        chosen = chosen or (grades[0] if grades else None)
        if chosen is None:
            # "Peripheral neuropathy or neuralgia >=2": the grade without the word
            chosen = _BARE_GRADE.search(t, m.end(), min(b, m.end() + 30))
        negated = ctx.negated(m.start())
        lo: float | None = None
        if chosen is not None:
            lo, flip = _graded_min(chosen)
            if flip:
                negated = not negated
        return [Constraint(kind="neuropathy", min=lo, negated=negated)]
    return []


_NYHA_CLASS = re.compile(
    r"class(?:es|ification)?\s*(?P<cmp>>=|<=|>|<)?\s*(?P<a>IV|I{1,3}|[1-4])\b(?:\s*(?:-|to|or|and|/)\s*(?P<b>IV|I{1,3}|[1-4])\b)?"
    r"(?P<post>\s*\bORMORE|\s*\bORLESS)?",
    re.I,
)
_NYHA_CLASS_BEFORE = re.compile(
    r"(?P<cmp>>=|<=|>|<)\s*class(?:es)?\s*(?P<a>IV|I{1,3}|[1-4])\b(?P<b>)(?P<post>)", re.I
)
_HEART_FAILURE = re.compile(
    r"heart\s+failure|cardiac\s+failure|\bCHF\b|cardiac\s+insufficiency|heart\s+insufficiency|"
    r"new\s+york\s+heart\s+association|\bNYHA\b|congestive\s+heart|cardiac\s+decompensation|"
    r"(?:left\s+)?ventricular\s+failure",
    re.I,
)


def _heart_failure(ctx: _Context) -> list[Constraint]:
    t = ctx.text
    for m in _HEART_FAILURE.finditer(t):
        if ctx.in_exception(m.start()) or ctx.permissive(m.start()) or ctx.in_examples(m.start()):
            continue
        a, b = ctx.clause(m.start())
        negated = ctx.negated(m.start())
        lo: float | None = None
        window = (max(a, m.start() - 60), min(b, m.end() + 80))
        cls = _NYHA_CLASS_BEFORE.search(t, *window) or _NYHA_CLASS.search(t, *window)
        if cls is not None:
            lo, flip = _graded_min(cls)
            if flip:
                negated = not negated
        return [Constraint(kind="heart_failure", min=lo, negated=negated)]
    return []


# ---- what no kind carries --------------------------------------------------------------------------------

#: Conditions no kind represents; named beside recognised ones ("plasma cell leukemia, POEMS syndrome or
#: amyloidosis") they add one unstructured constraint, so that a reader sees the criterion asks more.
_UNREPRESENTED = re.compile(
    r"waldenstr|\bPOEMS\b|\bMGUS\b|monoclonal\s+gammopathy|smou?ldering|myelodysplas|myeloproliferative|"
    r"non-?secretory|\bIgM\s+myeloma|solitary\s+plasmacytoma|\bangina\b|arrhythmi|myocardial\s+infarction|"
    r"\bhypertension\b|\bdiabetes\b|psychiatric|\bseizure|\bstroke\b|cerebrovascular|thrombo(?:sis|embol)|"
    r"\bembolism\b|\bHTLV|\bCMV\b|tubercul|hepatitis\s+A\b|cirrhosis|\bdialysis\b|pregnan|lactating|"
    r"breast-?feeding|\bnursing\b|\bWBC\b|white\s+blood\s+cell|alkaline\s+phosphatase|\bINR\b|\bCD4\b|"
    r"\bLVEF\b|ejection\s+fraction|\bQTc?\b|\bDLCO\b|"
    r"refractory\s+to\s+(?:the\s+)?(?:last|most\s+recent|prior|previous|induction|front|primary|first)|"
    r"\bfailed\s+(?:the\s+)?(?:last\s+line|therapy\s+with|most\s+recent)|"
    r"\b(?:planning|plans?|planned)\s+(?:for|to)\b|\beligible\s+for\b|\bcandidate\s+for\b|"
    r"anti-?myeloma\s+(?:treatment|therapy)\s+within|\banti-?PD-?L?1\b|\bCTLA-?4\b|\bmTOR\b",
    re.I,
)


def _unrepresented(ctx: _Context) -> bool:
    """The criterion also names a condition no kind carries (outside parentheses and exceptions)."""
    for m in _UNREPRESENTED.finditer(ctx.text):
        if ctx.in_parentheses(m.start()) or ctx.in_exception(m.start()):
            continue
        return True
    return False


_RULES: tuple[Callable[[_Context], list[Constraint]], ...] = (
    _age,
    _performance,
    _prior_lines,
    _therapy,
    _measurable,
    _labs,
    _transplant,
    _cytogenetics,
    _features,
    _infections,
    _malignancy,
    _neuropathy,
    _heart_failure,
)


def parse_criterion(text: str, section: Section) -> list[Constraint]:
    """What one criterion asks, as constraints; ``[Constraint(kind="unstructured")]`` when nothing fits.

    A criterion that names recognised conditions beside one no kind carries ("plasma cell leukemia, POEMS
    syndrome or amyloidosis") lists the recognised constraints and one ``unstructured``.

    >>> parse_criterion("Absolute neutrophil count at least 1,000/mm^3", "inclusion")[0].min
    1.0
    >>> [c.kind for c in parse_criterion("Not pregnant or nursing", "inclusion")]
    ['unstructured']
    """
    work = _normalise(text)
    ctx = _Context(work, tuple(_clauses(work)), section)
    seen: set[Constraint] = set()
    out: list[Constraint] = []
    for rule in _RULES:
        for c in rule(ctx):
            if c not in seen:
                seen.add(c)
                out.append(c)
    if not out or _unrepresented(ctx):
        out.append(Constraint(kind="unstructured"))
    return out


def parse_criteria(text: str) -> list[Criterion]:
    """Every criterion of a study's eligibility text, one :class:`Criterion` per constraint.

    A criterion text with two constraints gives two criteria with the same text and section.
    """
    return [
        Criterion(text=piece, section=section, constraint=c)
        for section, piece in split_criteria(text)
        for c in parse_criterion(piece, section)
    ]


def _texts(criteria: Iterable[Criterion]) -> Iterator[list[Criterion]]:
    """Consecutive criteria from one criterion text (as :func:`parse_criteria` lays them out)."""
    group: list[Criterion] = []
    for c in criteria:
        if group and (c.text != group[-1].text or c.section != group[-1].section):
            yield group
            group = []
        group.append(c)
    if group:
        yield group


def structured_share(criteria: Iterable[Criterion]) -> float:
    """The share of criterion texts that gave at least one structured constraint (0.0 for none).

    Texts are counted once however many constraints they gave (consecutive criteria with the same text and
    section are one text, as :func:`parse_criteria` returns them).
    """
    groups = list(_texts(criteria))
    if not groups:
        return 0.0
    structured = sum(any(c.constraint.kind != "unstructured" for c in g) for g in groups)
    return structured / len(groups)
