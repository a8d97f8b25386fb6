"""The writer's own encoding of stream events gives the library mapper's stored row, byte for byte."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application import stored_event
from ledger.stream import Stream


def _events(world: World) -> list[Stream.Event]:
    """Real events of a world's streams, as the writer builds them: openings and appends."""
    out: list[Any] = []
    for stream_id in ("person:p1", world.cell, world.lang_ma):
        stream = world.ledger.get_stream(stream_id)
        assert stream is not None
        for stored in world.ledger.recorder.select_events(stream_id):
            out.append(world.ledger.mapper.to_domain_event(stored))
    assert {type(e) for e in out} == {Stream.Opened, Stream.Appended}
    return out


@pytest.fixture
def events(world: World) -> list[Stream.Event]:
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "name": "Đinh Văn A"}))
    world.accept(world.sign(world.cell, "person.profiled", world.lang_ma, {"person": "p1", "name": "Đinh Văn B"}))
    return _events(world)


def test_stream_events_are_stored_exactly_as_the_library_stores_them(world: World, events: list[Any]) -> None:
    for event in events:
        assert stored_event(world.ledger.mapper, event) == world.ledger.mapper.to_stored_event(event)


@pytest.mark.parametrize("change", [
    {"prev": 'a"b'}, {"prev": "a\\b"}, {"keyid": "é"}, {"sig": "line\nbreak"}, {"payload": "\x00"},
    {"timestamp": datetime(2022, 1, 10, 7, 0, tzinfo=timezone(timedelta(hours=7)))},
    {"timestamp": datetime(2022, 1, 10, 7, 0)},
])
def test_values_the_encoder_would_escape_or_write_otherwise_take_the_library_path(
    world: World, events: list[Any], change: dict[str, Any]
) -> None:
    for event in events:
        odd = dataclasses.replace(event, **change)
        assert stored_event(world.ledger.mapper, odd) == world.ledger.mapper.to_stored_event(odd)


def test_a_mapper_that_compresses_takes_the_library_path(world: World, events: list[Any]) -> None:
    import copy
    import zlib

    from eventsourcing.compressor import ZlibCompressor

    mapper = copy.copy(world.ledger.mapper)
    mapper.compressor = ZlibCompressor()
    for event in events:
        row = stored_event(mapper, event)
        assert row == mapper.to_stored_event(event)
        assert zlib.decompress(row.state).startswith(b'{"timestamp"')


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["payload", "keyid", "sig", "prev"]), text=st.text(max_size=40),
       opened=st.booleans())
def test_any_string_is_stored_as_the_library_stores_it(
    world: World, events: list[Any], field: str, text: str, opened: bool
) -> None:
    """Whatever the characters (quotes, backslashes, controls, DEL, non-ASCII, spaces), the
    writer's row and the library's are the same bytes: plain ones are written directly, the
    rest go through the library."""
    event = next(e for e in events if isinstance(e, Stream.Opened) == opened)
    odd = dataclasses.replace(event, **{field: text})
    assert stored_event(world.ledger.mapper, odd) == world.ledger.mapper.to_stored_event(odd)
