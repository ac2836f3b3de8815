# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small JSON path dialect for response assertions, strict equality, and truncation.

Paths look like ``status``, ``models[0].name``, ``models.0.name``, ``$.predictions[*].confidence``:
keys separated by dots, list indexes in brackets or as plain numbers, ``[*]`` (or ``*``)
for every element of a list (or every value of an object).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\[(-?\d+|\*)\]|\.?([^.\[\]]+)")
MISSING = object()


class PathError(ValueError):
    """The path is not written in the supported dialect."""


def parse_path(path: str) -> list:
    """Split ``path`` into keys, ``int`` indexes and ``"*"``."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    if not text or text == ".":
        raise PathError("empty JSON path %r" % path)
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise PathError("cannot parse JSON path %r at position %d" % (path, position))
        index, key = match.groups()
        if index is not None:
            tokens.append(index if index == "*" else int(index))
        else:
            tokens.append(key)
        position = match.end()
    return tokens


def _step(value, token) -> list:
    if token == "*":
        if isinstance(value, list) and value:
            return list(value)
        if isinstance(value, dict) and value:
            return list(value.values())
        return [MISSING]
    if isinstance(value, list):
        if isinstance(token, str):
            if not re.fullmatch(r"-?\d+", token):
                return [MISSING]
            token = int(token)
        return [value[token]] if -len(value) <= token < len(value) else [MISSING]
    if isinstance(value, dict):
        return [value.get(str(token), MISSING)]
    return [MISSING]


def resolve(document, path: str) -> list:
    """Every value ``path`` reaches; a branch that breaks off yields :data:`MISSING`."""
    values = [document]
    for token in parse_path(path):
        values = [found for value in values
                  for found in ([MISSING] if value is MISSING else _step(value, token))]
    return values


def path_exists(document, path: str) -> bool:
    """True when every branch of ``path`` reaches a value (``null`` counts as a value)."""
    values = resolve(document, path)
    return bool(values) and all(value is not MISSING for value in values)


def json_equal(actual, expected) -> bool:
    """Equality as JSON means it: ``true`` is not ``1``, ``"1"`` is not ``1``, ``1`` equals ``1.0``."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(json_equal(a, e) for a, e in zip(actual, expected))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(json_equal(actual[key], expected[key]) for key in actual)
    return type(actual) is type(expected) and actual == expected


def path_equals(document, path: str, expected) -> tuple:
    """``(ok, found)``: ok when every branch exists and equals ``expected``; ``found`` is what was there."""
    values = resolve(document, path)
    found = [None if value is MISSING else value for value in values]
    ok = bool(values) and all(value is not MISSING and json_equal(value, expected) for value in values)
    return ok, found[0] if len(found) == 1 else found


def truncate(value, max_items: int = 20, max_string: int = 500, max_depth: int = 8) -> tuple:
    """A copy of ``value`` with long lists/objects/strings cut, and whether anything was cut.

    The copy stays valid JSON (unlike cutting the serialized text), so later tasks can still read it.
    """
    cut = False

    def walk(item, depth):
        nonlocal cut
        if isinstance(item, str):
            if len(item) > max_string:
                cut = True
                return item[:max_string] + "..."
            return item
        if isinstance(item, (list, dict)) and depth >= max_depth:
            cut = True
            return "<%d %s>" % (len(item), "items" if isinstance(item, list) else "keys")
        if isinstance(item, list):
            if len(item) > max_items:
                cut = True
            return [walk(element, depth + 1) for element in item[:max_items]]
        if isinstance(item, dict):
            if len(item) > max_items:
                cut = True
            return {key: walk(element, depth + 1) for key, element in list(item.items())[:max_items]}
        return item

    return walk(value, 0), cut
