"""The dossier's rules that need no models: reading the bytes, the file's shape, references.

``schemas.dossier.load_dossier`` runs :func:`check` with pydantic's models and reports every
problem; ``schemas.quick`` runs the very same function with plain-Python checks compiled from
those models (``dantin check``'s quick path), and stops at the first doubt. Importing this
module imports no pydantic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date as Date  # noqa: N812 - the field is named date
from typing import TYPE_CHECKING, Any, Protocol

from ledger.catalogue import EVENT_REFS, SIGNERS, may_sign, person_ref_paths, signers_on
from ledger.errors import DantinError
from schemas._checks import HASH_RE, PLACE_RE, first_unsafe_text, place_contains, unsafe_text_vi

FORMAT = 1
ENVELOPE_FIELDS = ("id", "type", "date", "by")
_MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class DossierEvent:
    id: str
    type: str
    date: Date
    #: The kind of body that states it (the importer signs with that body's key).
    by: str
    #: The type's facts exactly as the file spells them (dates as ``YYYY-MM-DD`` strings).
    facts: dict[str, Any]
    #: Position in the file's ``events`` list.
    index: int
    #: The same facts, typed (an instance of the type's model in ``FACTS_MODELS``; None on
    #: the quick path of ``dantin check``, which needs only ``facts``).
    typed: Any = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message_vi: str
    #: The dossier id of the event concerned, when known.
    event: str | None = None

    def text_vi(self) -> str:
        where = f"tại {self.path}" + (f" (sự kiện '{self.event}')" if self.event else "")
        return f"{where}: {self.message_vi}"

    def to_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "event": self.event, "message": self.message_vi}


class DossierError(DantinError):
    """A file that is not a valid dossier; ``problems`` says what is wrong, and where."""

    code = "invalid_dossier"
    title_vi = "Hồ sơ không hợp lệ"

    def __init__(self, problems: Sequence[Problem], *, more: int = 0) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        extra = len(self.problems) - 1 + more
        tail = f" (và {extra} lỗi khác)" if extra else ""
        super().__init__(f"Hồ sơ không hợp lệ {first.text_vi()}{tail}",
                         detail="; ".join(f"{p.path}: {p.message_vi}" for p in self.problems[:5]))


if TYPE_CHECKING:
    class Checks(Protocol):
        """How :func:`check` validates a part of the file against its model.

        Each method returns the part, validated, or raises: an exception in ``invalid`` is a
        problem to report (pydantic's ``ValidationError``, whose errors say where); any other
        propagates out of :func:`check`.
        """

        @property
        def invalid(self) -> type[Exception] | tuple[type[Exception], ...]: ...
        #: Every event type of the catalogue, and those that build authority (no dossier holds them).
        @property
        def types(self) -> Collection[str]: ...
        @property
        def authority(self) -> Collection[str]: ...

        def village(self, value: Any) -> Any: ...
        def person(self, value: Any) -> Any: ...
        def event(self, event_type: str, value: Any) -> Any: ...
        def facts(self, event_type: str, value: Any) -> Any: ...
        def date(self, value: Any) -> Any: ...


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, path: str, message: str, event: str | None = None) -> None:
        if len(self.items) < _MAX_PROBLEMS:
            self.items.append(Problem(path, message, event))
        else:
            self.more += 1

    def validation(self, exc: Any, prefix: str, event: str | None = None, by_message: str | None = None) -> None:
        from schemas._messages import message_vi, path_of

        for err in exc.errors():
            message = message_vi(err)
            if by_message and tuple(err["loc"]) == ("by",) and err["type"] == "literal_error":
                message = by_message
            self.add(path_of(err["loc"], prefix), message, event)

    def raise_if_any(self) -> None:
        if self.items:
            # In file order: what the reference checks found sits with its event.
            self.items.sort(key=lambda p: _position(p.path))
            raise DossierError(self.items, more=self.more)


def _position(path: str) -> tuple[int, int]:
    for order, section in enumerate(("dossier", "village", "people", "events")):
        if path.startswith(section + "["):
            return order, int(path[len(section) + 1:path.index("]")])
        if path.startswith(section):
            return order, -1
    return -1, -1


# -- reading the bytes ----------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


class _Constant(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _Constant(name)


#: What Python's JSON parser says (``JSONDecodeError.msg``), in Vietnamese.
_JSON_ERRORS_VI = (
    ("Expecting value", "thiếu một giá trị (tệp trống, hoặc thừa/thiếu dấu phẩy)"),
    ("Expecting property name", "tên trường phải nằm trong dấu ngoặc kép"),
    ("Expecting ':' delimiter", "thiếu dấu ':' sau tên trường"),
    ("Expecting ',' delimiter", "thiếu dấu ',' giữa hai phần tử"),
    ("Unterminated string", "chuỗi chưa được đóng bằng dấu ngoặc kép"),
    ("Invalid control character", "chuỗi chứa ký tự điều khiển (như xuống dòng) chưa được viết thoát"),
    ("Invalid \\escape", "chuỗi có dấu \\ viết thoát không hợp lệ"),
    ("Invalid \\u", "chuỗi có dấu \\u viết thoát không hợp lệ"),
    ("Extra data", "còn dữ liệu thừa sau giá trị JSON"),
)


def json_error_vi(exc: json.JSONDecodeError) -> str:
    """A JSON parse error, said in Vietnamese."""
    why = next((vi for en, vi in _JSON_ERRORS_VI if exc.msg.startswith(en)), "cú pháp sai")
    return f"JSON không hợp lệ: {why}"


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DossierError([Problem("(tệp)", f"tệp không phải văn bản UTF-8 (byte thứ {exc.start + 1})")]) from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DossierError([Problem(f"dòng {exc.lineno}, cột {exc.colno}", json_error_vi(exc))]) from None
    except _DuplicateKey as exc:
        raise DossierError([Problem("(tệp)", f"khóa '{exc}' xuất hiện hai lần trong cùng một đối tượng")]) from None
    except _Constant as exc:
        raise DossierError([Problem("(tệp)", f"JSON không được chứa {exc}")]) from None
    except ValueError:  # Python reads no integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise DossierError([Problem("(tệp)", "JSON có một số nguyên quá dài (hơn 4300 chữ số)")]) from None
    if _too_deep(doc):
        raise DossierError([Problem("(tệp)", _TOO_DEEP_VI)])
    if _SURROGATE_ESCAPE.search(text):
        found = _lone_surrogate(doc)
        if found is not None:
            raise DossierError([Problem(found[0], f"chuỗi có mã thoát \\u{found[1]:04x} đứng lẻ (nửa cặp UTF-16 thiếu "
                                                  "nửa kia): không phải ký tự Unicode")])
    return doc


#: How many arrays and objects a dossier may nest, one in another (it needs 6: the file, ``events``, an
#: event, a correction's ``facts``, a list or object there, …). A fixed bound: Python's recursion limit,
#: which stops the parser and the walks otherwise, counts the caller's frames too, so a file nested some
#: 900 deep was taken by the quick path of ``dantin check`` and refused by the full one, 30 frames deeper.
MAX_DEPTH = 32
_TOO_DEEP_VI = f"JSON lồng nhau quá sâu (quá {MAX_DEPTH} cấp mảng, đối tượng)"


def _too_deep(doc: Any) -> bool:
    stack = [(doc, 1)] if type(doc) is dict or type(doc) is list else []
    while stack:
        value, depth = stack.pop()
        items = value.values() if type(value) is dict else value
        for item in items:
            if type(item) is dict or type(item) is list:
                if depth == MAX_DEPTH:
                    return True
                stack.append((item, depth + 1))
    return False


#: A ``\\uD800``–``\\uDFFF`` escape: half of a UTF-16 pair; alone, JSON's parser makes it a lone surrogate,
#: which no UTF-8 text holds (pydantic refuses it, orjson cannot write it).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(doc: Any) -> tuple[str, int] | None:
    """The first string (or key) holding a lone surrogate, in file order: (its path, the code point)."""
    stack: list[tuple[Any, str]] = [(doc, "(gốc)")]
    while stack:
        value, path = stack.pop()
        if type(value) is str:
            bad = _surrogate_in(value)
            if bad is not None:
                return path, bad
        elif type(value) is dict:
            within = [(item, f"{path}.{key}" if path != "(gốc)" else key) for key, item in value.items()]
            for key, (_, at) in zip(value, within, strict=True):
                bad = _surrogate_in(key)
                if bad is not None:  # (the path said with the escape, as the file writes it)
                    return at.encode("utf-8", "backslashreplace").decode("utf-8"), bad
            stack.extend(reversed(within))
        elif type(value) is list:
            stack.extend(reversed([(item, f"{path}[{i}]") for i, item in enumerate(value)]))
    return None


def _surrogate_in(text: str) -> int | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return ord(text[exc.start])
    return None


def _find_float(value: Any, path: str) -> str | None:
    if isinstance(value, float):
        return path
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _find_float(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
        if found:
            return found
    return None


# -- the dossier ----------------------------------------------------------------------


def check(raw: bytes, checks: Checks) -> tuple[Any, list[Any], list[DossierEvent]]:
    """Parse and check a dossier: its village, people and events, or ``DossierError``
    naming every problem and where."""
    try:
        return _load(raw, checks)
    except RecursionError:
        raise DossierError([Problem("(tệp)", _TOO_DEEP_VI)]) from None


def _load(raw: bytes, checks: Checks) -> tuple[Any, list[Any], list[DossierEvent]]:
    doc = _parse(raw)
    problems = _Problems()
    if not isinstance(doc, dict):
        problems.add("(gốc)", "hồ sơ phải là một đối tượng JSON")
        problems.raise_if_any()
    for key in doc:
        if key not in ("dossier", "village", "people", "events"):
            problems.add(key, "trường này không có trong định dạng hồ sơ")
    version = doc.get("dossier")
    if type(version) is not int or version != FORMAT:
        problems.add("dossier", f"phải là {FORMAT} (phiên bản định dạng hồ sơ)")
    village: Any = None
    try:
        village = checks.village(doc.get("village"))
    except checks.invalid as exc:
        problems.validation(exc, "village")
    people, person_ids = _people(doc.get("people"), problems, checks)
    events, event_ids = _events(doc.get("events"), problems, checks)
    _unsafe_text(doc, problems)
    _references(village.id if village else None, people, events, problems, _Known(person_ids, event_ids), checks)
    problems.raise_if_any()
    assert village is not None  # a village problem was raised just above
    return village, people, events


def _unsafe_text(doc: dict[str, Any], problems: _Problems) -> None:
    """What the ledger would refuse once signed: text holding a control or invisible character
    (``schemas._checks``), the first of the village's, of each person's and of each event's."""
    parts: list[tuple[str, Any]] = [("village", doc.get("village"))]
    for name in ("people", "events"):
        if isinstance(doc.get(name), list):
            parts.extend((f"{name}[{i}]", item) for i, item in enumerate(doc[name]))
    for where, part in parts:
        found = first_unsafe_text(part, where=where)
        if found is not None:
            event = part.get("id") if where.startswith("events") and isinstance(part, dict) else None
            problems.add(found[0], unsafe_text_vi(found[1]), event if isinstance(event, str) else None)


class _Known:
    """Every id the file declares, valid entry or not: a reference to a broken entry is
    not reported twice."""

    __slots__ = ("events", "people")

    def __init__(self, people: set[str], events: set[str]) -> None:
        self.people = people
        self.events = events


def _people(value: Any, problems: _Problems, checks: Checks) -> tuple[list[Any], set[str]]:
    if not isinstance(value, list):
        problems.add("people", "phải là một danh sách (mảng JSON)")
        return [], set()
    people: list[Any] = []
    seen: dict[str, int] = {}
    known: set[str] = set()
    for i, item in enumerate(value):
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            known.add(item["id"])
        try:
            person = checks.person(item)
        except checks.invalid as exc:
            problems.validation(exc, f"people[{i}]")
            continue
        if person.id in seen:
            problems.add(f"people[{i}].id", f"người '{person.id}' đã được khai báo ở people[{seen[person.id]}]")
            continue
        seen[person.id] = i
        people.append(person)
    return people, known


def _events(value: Any, problems: _Problems, checks: Checks) -> tuple[list[DossierEvent], set[str]]:
    if not isinstance(value, list):
        problems.add("events", "phải là một danh sách (mảng JSON)")
        return [], set()
    events: list[DossierEvent] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        where = f"events[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "mỗi sự kiện phải là một đối tượng JSON")
            continue
        raw_id = item.get("id")
        event_id = raw_id if isinstance(raw_id, str) else None
        if event_id is not None and event_id in seen:
            problems.add(f"{where}.id", f"mã sự kiện '{event_id}' trùng với events[{seen[event_id]}]", event_id)
            continue
        if event_id is not None:
            seen[event_id] = i
        event_type = item.get("type")
        if "type" not in item:
            problems.add(f"{where}.type", "thiếu trường bắt buộc", event_id)
            continue
        if not isinstance(event_type, str) or event_type not in checks.types:
            problems.add(f"{where}.type", f"loại sự kiện '{event_type}' không có trong danh mục", event_id)
            continue
        if event_type in checks.authority:
            problems.add(f"{where}.type", f"loại sự kiện '{event_type}' thuộc về thẩm quyền, không ghi trong hồ sơ "
                                          "một thôn", event_id)
            continue
        allowed = ", ".join(sorted(SIGNERS[event_type]))
        by_message = f"loại cơ quan '{item.get('by')}' không được ký '{event_type}' (chỉ: {allowed})"
        try:
            typed = checks.event(event_type, item)
        except checks.invalid as exc:
            problems.validation(exc, where, event_id, by_message)
            continue
        facts = {k: v for k, v in item.items() if k not in ENVELOPE_FIELDS}
        floating = _find_float(facts, where)
        if floating:
            problems.add(floating, "chỉ được dùng số nguyên, không dùng số thập phân", event_id)
            continue
        assert event_id is not None  # the model required a valid id
        day = Date.fromisoformat(item["date"])
        if not may_sign(item["by"], event_type, day):  # a signer entitled only from a date (RULES.md Q3)
            problems.add(f"{where}.by", f"loại cơ quan '{item['by']}' không được ký '{event_type}' ghi ngày "
                                        f"{day.isoformat()} (chỉ: {', '.join(signers_on(event_type, day))})",
                         event_id)
            continue
        events.append(DossierEvent(id=event_id, type=event_type, date=day,
                                   by=item["by"], facts=facts, index=i, typed=typed))
    return events, set(seen)


def _references(village: str | None, people: list[Any], events: list[DossierEvent],
                problems: _Problems, known: _Known, checks: Checks) -> None:
    declared = {p.id for p in people} | known.people
    by_id = {e.id: e for e in events}
    for event in events:
        where = f"events[{event.index}]"
        refs = list(person_ref_paths(event.type, event.facts))
        if event.type == "person.profiled":
            refs.append(("person", event.facts["person"]))
        for path, person in refs:
            if person not in declared:
                problems.add(f"{where}.{path}", f"người '{person}' chưa được khai báo trong 'people'", event.id)
        for name in EVENT_REFS.get(event.type, ()):
            value = event.facts[name]
            values = value if isinstance(value, list) else [value]
            for j, ref in enumerate(values):
                path = f"{where}.{name}" + (f"[{j}]" if isinstance(value, list) else "")
                if ref in by_id or ref not in known.events:
                    _event_ref(village, event, name, ref, path, by_id, problems)
        if event.type == "correction.recorded":
            _correction(event, by_id, problems, checks)


def _event_ref(village: str | None, event: DossierEvent, name: str, ref: str, path: str,
               by_id: Mapping[str, DossierEvent], problems: _Problems) -> None:
    target = by_id.get(ref)
    if target is not None:
        if target.index >= event.index:
            problems.add(path, f"sự kiện '{ref}' phải đứng trước sự kiện nhắc đến nó", event.id)
        elif name == "attendance" and target.type != "attendance.recorded":
            problems.add(path, f"sự kiện '{ref}' không phải attendance.recorded", event.id)
        elif name == "corrects" and target.type == "correction.recorded":
            problems.add(path, f"'{ref}' là một đính chính; hãy đính chính sự kiện gốc", event.id)
        return
    if HASH_RE.match(ref):
        return  # an event already in the ledger
    if name == "about" and PLACE_RE.match(ref) and (
        village is None or place_contains(ref, village) or place_contains(village, ref)
    ):
        return  # the village, or a place above it (unjudged while the village is broken)
    what = "sự kiện trong hồ sơ, mã băm sự kiện hay địa bàn của thôn" if name == "about" else \
        "sự kiện trong hồ sơ hay mã băm sự kiện"
    problems.add(path, f"'{ref}' không phải {what}", event.id)


def _correction(event: DossierEvent, by_id: Mapping[str, DossierEvent], problems: _Problems,
                checks: Checks) -> None:
    target = by_id.get(event.facts["corrects"])
    if target is None or target.index >= event.index or target.type == "correction.recorded":
        return  # a ledger hash (judged on import), or a problem already named
    where = f"events[{event.index}]"
    if event.by != target.by:
        problems.add(f"{where}.by", f"chỉ cơ quan đã ghi sự kiện '{target.id}' ({target.by}) mới được đính chính nó",
                     event.id)
    changes = dict(event.facts["facts"])
    if "date" in changes:  # the original's date, corrected
        try:
            checks.date(changes.pop("date"))
        except checks.invalid as exc:
            problems.validation(exc, f"{where}.facts.date", event.id)
    try:
        checks.facts(target.type, {**target.facts, **changes})
    except checks.invalid as exc:
        problems.validation(exc, f"{where}.facts", event.id)
