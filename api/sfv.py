"""RFC 8941 Structured Field Values: the subset RFC 9421 uses (Dictionaries of Inner Lists and
Items with Parameters; Integers, Strings, Tokens, Byte Sequences, Booleans — no Decimals).

Parsing follows §4.2's algorithms step by step; serialising, §4.1. Anything else is refused
with ``SignatureError("signature_malformed")``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from api.sigerrors import SignatureError


def malformed(detail: str) -> SignatureError:
    return SignatureError("signature_malformed", "Trường Signature-Input hoặc Signature không đúng cú pháp "
                          "RFC 9421 / RFC 8941.", detail=detail)




@dataclass(frozen=True)
class Token:
    value: str


BareItem = int | str | bytes | bool | Token
Params = dict[str, BareItem]


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


_KEY_FIRST = re.compile(r"[a-z*]")
_KEY_CHAR = re.compile(r"[a-z0-9_\-.*]")
_TCHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/]")


class _Parser:
    """RFC 8941 §4.2 parsing, by the algorithm's own steps."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise malformed("non-ASCII structured field")
        self.s, self.i = text, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise malformed(f"expected {char!r} at {self.i}")
        self.i += 1

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.i += 1

    def dictionary(self) -> dict[str, Item | InnerList]:  # §4.2.2
        out: dict[str, Item | InnerList] = {}
        self.skip(" ")
        while self.peek():
            key = self.key()
            if self.peek() == "=":
                self.i += 1
                out[key] = self.member()
            else:
                out[key] = Item(True, self.params())
            self.skip(" \t")
            if not self.peek():
                break
            self.take(",")
            self.skip(" \t")
            if not self.peek():
                raise malformed("trailing comma")
        return out

    def member(self) -> Item | InnerList:  # §4.2.1.1
        if self.peek() == "(":
            return self.inner_list()
        return Item(self.bare_item(), self.params())

    def inner_list(self) -> InnerList:  # §4.2.1.2
        self.take("(")
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.i += 1
                return InnerList(tuple(items), self.params())
            items.append(Item(self.bare_item(), self.params()))
            if self.peek() not in (" ", ")"):
                raise malformed("inner list members must be separated by spaces")

    def params(self) -> Params:  # §4.2.3.2
        out: Params = {}
        while self.peek() == ";":
            self.i += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            out[key] = value
        return out

    def key(self) -> str:  # §4.2.3.3
        start = self.i
        if not _KEY_FIRST.fullmatch(self.peek()):
            raise malformed(f"bad key at {self.i}")
        while self.peek() and _KEY_CHAR.fullmatch(self.peek()):
            self.i += 1
        return self.s[start:self.i]

    def bare_item(self) -> BareItem:  # §4.2.3.1
        c = self.peek()
        if c == "-" or c.isdigit():
            return self.integer()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            self.i += 1
            flag = self.peek()
            if flag not in ("0", "1"):
                raise malformed("bad boolean")
            self.i += 1
            return flag == "1"
        if c == "*" or c.isalpha():
            start = self.i
            self.i += 1
            while self.peek() and _TCHAR.fullmatch(self.peek()):
                self.i += 1
            return Token(self.s[start:self.i])
        raise malformed(f"unexpected {c!r} at {self.i}")

    def integer(self) -> int:  # §4.2.4 (decimals are not used by RFC 9421: refused)
        match = re.compile(r"-?[0-9]{1,15}").match(self.s, self.i)
        if match is None or self.s[match.end():match.end() + 1] == ".":
            raise malformed(f"bad integer at {self.i}")
        self.i = match.end()
        return int(match.group())

    def string(self) -> str:  # §4.2.5
        self.take('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise malformed("unterminated string")
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise malformed("bad escape")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not " " <= c <= "~":
                raise malformed("control character in string")
            else:
                out.append(c)

    def byte_sequence(self) -> bytes:  # §4.2.7
        self.take(":")
        end = self.s.find(":", self.i)
        if end < 0:
            raise malformed("unterminated byte sequence")
        text, self.i = self.s[self.i:end], end + 1
        if "=" not in text:  # "parsers SHOULD NOT fail when '=' padding is not present"
            text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise malformed("bad base64 in byte sequence") from None


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    return _Parser(text).dictionary()


def serialize_bare(value: BareItem) -> str:  # RFC 8941 §4.1.3.1
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Token):
        return value.value
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:  # §4.1.1.2
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare(v)}" for k, v in params.items())


def serialize_inner_list(inner: InnerList) -> str:  # §4.1.1.1
    members = " ".join(serialize_bare(i.value) + serialize_params(i.params) for i in inner.items)
    return f"({members}){serialize_params(inner.params)}"
