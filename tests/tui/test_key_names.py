"""``liqwatch.config.keys`` keeps Textual's key names as data (the engine may not import Textual): this checks
that data against ``textual.keys``, so a Textual upgrade that renames or adds a key cannot drift from it."""

from __future__ import annotations

import string

import pytest
from textual.binding import Binding, BindingsMap
from textual.keys import Keys, _character_to_key

from liqwatch.config.keys import BASE_KEYS, MODIFIERS, NAMED_KEYS, character_key, key_problem, normalise_key

#: ``Keys`` values that are not keys a binding can name (mouse/internal markers, an old alias).
NOT_KEYS = {"<any>", "<scroll-up>", "<scroll-down>", "<ignore>", "ctrl-at"}


@pytest.mark.parametrize("character", [c for c in string.printable if not c.isspace() or c == " "])
def test_each_character_is_named_as_textual_names_it(character: str) -> None:
    assert character_key(character) == _character_to_key(character)
    assert character_key(character) in BASE_KEYS


def test_the_named_keys_are_textuals() -> None:
    plain = {k.value for k in Keys if "+" not in k.value} - NOT_KEYS
    assert plain == NAMED_KEYS


def test_every_textual_key_with_modifiers_is_accepted() -> None:
    named = [k.value for k in Keys if "+" in k.value]
    assert {m for k in named for m in k.split("+")[:-1]} <= set(MODIFIERS)
    assert [k for k in named if key_problem(k) is not None] == []


@pytest.mark.parametrize("key", ["?", "/", "+", "S", "escape"])
def test_a_binding_becomes_the_key_the_engine_checks(key: str) -> None:
    # The conflict check compares what Textual binds: make_bindings' key for a one-character key.
    bound = list(BindingsMap([Binding(key, "x")]).key_to_bindings)
    assert bound == [normalise_key(key)]
