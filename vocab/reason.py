"""`Reason`: why something happened or was refused, as a code from the catalogue and its parameters.

A reason is data, not text: `Reason.of("preflight.wind_over", wind_m_s=13.2, limit_m_s=12)`.
Its English text (`reason.en`) is for logs, journals and integrators; the client renders it in
the operator's language with `render(reason, translate)`, where `translate` is Qt's translation
of the catalogue's English template (context "Reason"). Parameters may themselves be reasons
(a state's name, a category's name, the drone's words wrapped as `Reason.said(...)`), so a
sentence is translated as a whole and its parts on their own.

Two codes carry text that no catalogue can know:
- `Reason.said(text)`: someone else's words, shown as given (an operator's note, the autopilot's
  STATUSTEXT, a dock's refusal text);
- `Reason.data(zh=..., en=...)`: a name from the site's data files (a verification pattern,
  a response rule, a no-fly zone), which a site administrator writes in both languages.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union

from vocab.catalogue import CATALOGUE

log = logging.getLogger(__name__)

Param = Union[str, int, float, bool, None, "Reason"]
SAID = "said"
DATA = "data"


@dataclass(frozen=True, slots=True)
class Reason:
    """A catalogue code and its parameters (sorted by name, so equal reasons compare equal)."""

    code: str
    params: tuple[tuple[str, Param], ...] = ()

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """A reason; enum members with a `term` (vocab's states) become the reason of their name."""
        if code not in CATALOGUE and code not in (SAID, DATA):
            raise KeyError(f"unknown reason code {code!r}")
        return cls(code, tuple(sorted((k, _param(v)) for k, v in params.items())))

    @classmethod
    def said(cls, text: str) -> Reason:
        """Someone else's words, shown as given (PX4's texts end with a tab, so they are stripped)."""
        return cls(SAID, (("text", text.strip()),))

    @classmethod
    def data(cls, *, zh: str, en: str) -> Reason:
        """A name from the site's data files, in the two languages the file gives."""
        return cls(DATA, (("en", en), ("zh", zh)))

    def get(self, name: str, default: Param = None) -> Param:
        return next((v for k, v in self.params if k == name), default)

    @property
    def en(self) -> str:
        """The English text (logs, journals, integrators)."""
        return render(self)

    def __str__(self) -> str:
        return self.en

    def to_json(self) -> dict[str, Any]:
        """`{"code", "params"}` with nested reasons as the same shape (journals, MQTT payloads)."""
        return {"code": self.code, "params": {k: v.to_json() if isinstance(v, Reason) else v for k, v in self.params}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        """Reads `to_json()` back; an unknown code (a newer peer) is kept as the English text it carries."""
        code, params = data.get("code"), data.get("params") or {}
        if not isinstance(code, str) or not isinstance(params, Mapping):
            raise ValueError(f"not a reason: {data!r}")
        values = tuple(sorted((str(k), cls.from_json(v) if isinstance(v, Mapping) else v) for k, v in params.items()))
        if code not in CATALOGUE and code not in (SAID, DATA):
            text = data.get("text")
            return cls.said(text if isinstance(text, str) else f"{code} {dict(values)}")
        return cls(code, values)


def _param(value: Any) -> Param:
    term = getattr(value, "term", None)
    if isinstance(value, Enum) and isinstance(term, Reason):
        return term
    if isinstance(value, (str, int, float, bool, Reason)) or value is None:
        return value
    raise TypeError(f"a reason parameter must be text, a number or a reason, not {type(value).__name__}")


def render(reason: Reason, translate: Callable[[str], str] | None = None, *, language: str = "en") -> str:
    """The reason's text: the catalogue template through `translate` (default: English), parameters
    filled in (nested reasons rendered the same way). A translation whose placeholders do not fit
    its parameters falls back to English and is logged, never raised: the operator still reads why."""
    if reason.code == SAID:
        return str(reason.get("text", ""))
    if reason.code == DATA:
        return str(reason.get("zh" if language.startswith("zh") else "en", ""))
    template = CATALOGUE.get(reason.code)
    if template is None:
        return f"{reason.code} {dict(reason.params)}"
    values = {k: render(v, translate, language=language) if isinstance(v, Reason) else _shown(v)
              for k, v in reason.params}
    text = translate(template) if translate is not None else template
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        if text is template:
            log.error("reason %s: template %r does not fit %r (%s)", reason.code, template, values, exc)
            return f"{reason.code} {values}"
        log.error("reason %s: translation %r does not fit %r (%s); English shown", reason.code, text, values, exc)
        return render(reason, None, language="en")


def _shown(value: Param) -> Param:
    # None (not reported) must never be formatted as 0; "--" is what the screens show for unknown.
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "--"
    return value
