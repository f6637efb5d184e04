"""TOML helpers of the site file reader: the line a field is on, and typed required fields."""

from __future__ import annotations

import re
from typing import Any


class TomlLocator:
    """Finds the line of a field in TOML text; tomllib gives positions only for syntax errors."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def table_line(self, table: str, index: int | None = None) -> int | None:
        header = re.compile(r"^\s*\[\[\s*%s\s*\]\]" % re.escape(table) if index is not None
                            else r"^\s*\[\s*%s\s*\]" % re.escape(table))
        seen = -1
        for no, line in enumerate(self.lines, 1):
            if header.match(line):
                seen += 1
                if index is None or seen == index:
                    return no
        return None

    def key_line(self, table: str, key: str, index: int | None = None) -> int | None:
        start = self.table_line(table, index)
        if start is None:
            return None
        key_re = re.compile(r"^\s*%s\s*=" % re.escape(key))
        for no in range(start + 1, len(self.lines) + 1):
            line = self.lines[no - 1]
            if re.match(r"^\s*\[", line):
                break
            if key_re.match(line):
                return no
        return start


TOML_SYNTAX_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def require_field(table: dict[str, Any], key: str, kind: type | tuple[type, ...], fail: Any) -> Any:
    """Returns table[key] if present and of the right type; raises what `fail(problem, key)` builds otherwise."""
    if key not in table:
        raise fail("missing required field", key)
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        names = " or ".join({int: "integer", float: "number", str: "text"}.get(k, k.__name__) for k in kinds)
        raise fail(f"must be {names}, got {value!r}", key)
    if isinstance(value, str) and not value.strip():
        raise fail("must not be empty", key)
    return value
