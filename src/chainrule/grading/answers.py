"""Hand-answer sheets (A1, A6, A7): a TOML file of numbers and words, checked part by part.

- The file is TOML; the grader parses it into ``ctx.answers`` and never runs anything. A field
  is named by its dotted path (``stacked.with_bias`` is ``with_bias`` under ``[stacked]``).
- Numbers may be written as integers or decimals. An answer is right when it is within 1e-6
  relative (1e-9 absolute, for zeros) of the exact value: the answers are integers or short
  decimals (W2's −14.5), so nothing needs rounding, and a student who writes them in full is
  never marked down for the last digit.
- A vector may be written flat (``[4, 0, 11]``), as a row (``[[4, 0, 11]]``) or as a column; a
  matrix with more than one row and column must have its shape (W is out x in).
- The skeleton's blanks (``""`` and ``[]``) read as "not answered": 0 for that part, no crash.
- A field of the wrong kind (text where a number belongs, ``true``, a table, rows of different
  lengths, nan/inf) gives that part 0 with a sentence naming the field; the other parts are marked.
- The feedback names the wrong field and the wrong entries and, where the number matches a
  known slip (the ½ in the cost, the ReLU left out, the sign, the filter flipped), says which;
  it does not print the expected number, so feedback does not hand out the answer sheet.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .assignment import Fault, Outcome, Test
from ..worksheets._format import num

RTOL, ATOL = 1e-6, 1e-9
"""How close a hand answer must be (see the module docstring)."""


def lookup(answers: dict, key: str):
    """The value at the dotted ``key`` of the parsed file, or a Fault that names the field (and a
    near spelling the file does have: TOML keys are case-sensitive)."""
    value, path = answers, []
    for part in key.split("."):
        if not isinstance(value, dict):
            raise Fault(f"`{'.'.join(path)}` is a {_kind(value)}, expected a table holding `{part}` "
                        f"(write it as the skeleton does: [{'.'.join(path)}] on a line of its own)", tags=("type",))
        if part not in value:
            keys = [str(k) for k in value]
            close = [k for k in keys if k.lower() == part.lower()] or difflib.get_close_matches(part, keys, n=1,
                                                                                              cutoff=0.85)
            near = (f"; the file has `{close[0]}` (names are case-sensitive, spell it as the skeleton does)"
                    if close else "")
            raise Fault(f"`{key}`: missing from the file{near}", tags=("missing",))
        value = value[part]
        path.append(part)
    return value


def _kind(value) -> str:
    names = {dict: "table", list: "list", str: "text", bool: "true/false", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)


def blank(value) -> bool:
    """The skeleton's blanks: "" or [] (or a list of blanks)."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(blank(v) for v in value)
    return False


def numbers(key: str, value) -> np.ndarray:
    """A TOML number or (nested) list of numbers as a float array; a Fault naming ``key`` for
    anything else (text, true/false, a table, a date, rows of different lengths, nan or inf)."""
    def plain(v, where):
        if isinstance(v, bool):
            raise Fault(f"`{key}`{where}: {str(v).lower()} is not a number", tags=("type",))
        if isinstance(v, (int, float)):
            return v
        if isinstance(v, list):
            return [plain(item, f"{where}[{i + 1}]" if where else f" entry {i + 1}") for i, item in enumerate(v)]
        if isinstance(v, str):
            raise Fault(f'`{key}`{where}: "{v[:40]}" is text (in quotes); write the answer as numbers, without quotes',
                        tags=("type",))
        raise Fault(f"`{key}`{where}: a {_kind(v)}, expected a number or a list of numbers", tags=("type",))

    nested = plain(value, "")
    try:
        array = np.array(nested, dtype=float)
    except ValueError:
        lengths = [len(row) if isinstance(row, list) else 1 for row in nested]
        raise Fault(f"`{key}`: rows of different lengths ({', '.join(map(str, lengths))}); every row of a "
                    f"matrix needs the same number of entries", tags=("shape",)) from None
    if not np.all(np.isfinite(array)):
        raise Fault(f"`{key}`: holds nan or inf, which is not an answer", tags=("type",))
    return array


def fitted(key: str, got: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``got`` in ``expected``'s shape: a vector (or one number) may be written flat, as a row or
    as a column; a matrix must have its shape. A Fault naming ``key`` otherwise."""
    vector_like = sum(s > 1 for s in expected.shape) <= 1
    if got.shape == expected.shape:
        return got
    if vector_like and got.size == expected.size and sum(s > 1 for s in got.shape) <= 1:
        return got.reshape(expected.shape)
    want = "one number" if expected.size == 1 else (
        f"{expected.size} numbers" if vector_like else f"a {expected.shape[0]}x{expected.shape[1]} matrix "
                                                      f"({expected.shape[0]} rows of {expected.shape[1]})")
    got_text = "one number" if got.ndim == 0 else (f"{got.size} numbers" if got.ndim == 1 else
                                                    f"a {'x'.join(map(str, got.shape))} matrix")
    hint = " (transposed? W is out x in)" if got.shape == expected.shape[::-1] and got.ndim == 2 else ""
    raise Fault(f"`{key}`: {got_text}, expected {want}{hint}", tags=("shape",))


def close(got, expected) -> bool:
    return bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def show(array: np.ndarray) -> str:
    """The student's value as they would write it."""
    if array.ndim == 0:
        return num(array)
    if array.ndim == 1:
        return "[" + ", ".join(num(v) for v in array) + "]"
    return "[" + ", ".join(show(row) for row in array) + "]"


def wrong_entries(got: np.ndarray, expected: np.ndarray) -> str:
    """Which entries differ, counted from 1 ("entries 1 and 3 of 3"), for an array answer."""
    if expected.size == 1:
        return ""
    bad = np.argwhere(~np.isclose(got, expected, rtol=RTOL, atol=ATOL))
    names = [str(int(i[-1]) + 1) if sum(s > 1 for s in expected.shape) <= 1 else
             "(" + ", ".join(str(int(k) + 1) for k in i) + ")" for i in bad]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f" (entr{'ies' if len(names) > 1 else 'y'} {listed} of {expected.size} wrong)"


@dataclass(frozen=True)
class Part:
    """One asked quantity: the field ``key``, its ``marks``, the ``expected`` answer (a function,
    computed by chainrule's worksheets when the grader runs), ``how`` it is found (said when the
    answer is wrong), and ``hints``: a function giving (tag, sentence, the value that slip gives)
    for the known slips. A word answer (A6's hyperparameter/learned) gives ``words``: each accepted
    answer with its spellings."""

    key: str
    marks: float
    expected: Callable
    how: str
    hints: Callable = lambda: []
    words: dict = field(default_factory=dict)

    def judge(self, answers: dict) -> tuple[str, tuple[str, ...]] | None:
        """None when right; else the feedback line and its tags."""
        try:
            raw = lookup(answers, self.key)
            if blank(raw):
                return f"`{self.key}`: not answered", ("not-answered",)
            return self._choice(raw) if self.words else self._number(raw)
        except Fault as fault:
            return str(fault), fault.tags

    def _number(self, raw):
        expected = np.asarray(self.expected(), dtype=float)
        written = numbers(self.key, raw)
        got = fitted(self.key, written, expected)
        if close(got, expected):
            return None
        for tag, sentence, slip in self.hints():
            slip = np.asarray(slip, dtype=float)
            if slip.size != expected.size:
                continue
            slip = slip.reshape(expected.shape)
            if close(got, slip) and not close(slip, expected):
                return f"`{self.key}` = {show(written)} is wrong: {sentence}", (tag,)
        return f"`{self.key}` = {show(written)} is wrong{wrong_entries(got, expected)}: {self.how}", ("value",)

    def _choice(self, raw):
        if not isinstance(raw, str):
            raise Fault(f"`{self.key}`: a {_kind(raw)}, expected one of "
                        + " or ".join(f'"{w}"' for w in self.words), tags=("type",))
        said = "".join(ch for ch in raw.lower() if ch.isalpha())
        chosen = [word for word, spellings in self.words.items() if said in spellings]
        if not chosen:
            return (f'`{self.key}`: "{raw}" is neither ' + " nor ".join(f'"{w}"' for w in self.words)), ("type",)
        if chosen[0] == self.expected():
            return None
        return f'`{self.key}` = "{raw}" is wrong: {self.how}', ("value",)


def sheet_test(name: str, parts: list[Part], visibility: str = "visible") -> Test:
    """A test of one question made of ``parts``: each right part earns its marks; every wrong one
    gets its line."""
    total = sum(p.marks for p in parts)

    def check(ctx):
        earned, lines, tags = 0.0, [], []
        for part in parts:
            verdict = part.judge(ctx.answers)
            if verdict is None:
                earned += part.marks
                continue
            lines.append(verdict[0] + (f" [−{num(part.marks)}]" if len(parts) > 1 else ""))
            tags += [t for t in verdict[1] if t not in tags]
        if len(parts) > 1 and lines:
            lines.insert(0, f"{len(parts) - len(lines)} of {len(parts)} parts right")
        return Outcome(earned / total, lines, tuple(tags))

    return Test(name, total, check, visibility=visibility)
