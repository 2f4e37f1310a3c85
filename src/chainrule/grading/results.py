"""A grade's results, and what they become: Gradescope's ``results.json`` and the student's
Markdown feedback.

Gradescope's format (its autograder specification): a top-level ``score`` (the total, always
written here), ``output``, ``execution_time``, ``visibility`` and ``tests``, each test with
``name``, ``score``, ``max_score``, ``output`` and ``visibility``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .._files import atomic_write_bytes
from .assignment import VISIBILITIES


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    output: str = ""
    visibility: str = "visible"
    status: str = "passed"  # passed, partial, failed, not run
    tags: tuple = ()
    seconds: float = 0.0

    @classmethod
    def of(cls, test, score: float, lines, status: str, tags=(), seconds: float = 0.0) -> "TestResult":
        return cls(test.name, round(float(score), 6), float(test.max_score), "\n".join(lines), test.visibility,
                   status, tuple(tags), seconds)


@dataclass
class GradeResult:
    """One submission's grade: per-test results, notes on the file (unpacked, renamed, what
    stopped it), flags for the TA (forbidden imports, printing) and how it was graded."""

    assignment: str
    student: str
    tests: list[TestResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    seed: int = 0
    quick: bool = False
    engine: str | None = None
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score)
        return data

    # ------------------------------------------------------------------ Gradescope
    def gradescope(self) -> dict:
        """The ``results.json`` Gradescope reads."""
        lines = [f"{self.assignment}: {self.score:g} / {self.max_score:g}"]
        if self.quick:
            lines.append("QUICK CHECK: the training tests ran on a subset; these marks are provisional.")
        lines += self.notes + [f"Note: {flag}" for flag in self.flags]
        return {
            "score": self.score,
            "output": "\n".join(lines),
            "execution_time": round(self.seconds, 3),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [{"name": t.name, "score": t.score, "max_score": t.max_score, "output": t.output,
                       "visibility": t.visibility, "status": "passed" if t.score >= t.max_score else "failed"}
                      for t in self.tests],
        }

    def write_gradescope(self, path) -> Path:
        return atomic_write_bytes(path, (json.dumps(self.gradescope(), indent=2) + "\n").encode())

    # ------------------------------------------------------------------ feedback
    def feedback(self) -> str:
        """The student's feedback, in Markdown: the total, then each test with its marks and what
        the grader found."""
        lines = [f"# {self.assignment} feedback: {self.student}", "",
                 f"**Score: {self.score:g} / {self.max_score:g}**", ""]
        if self.quick:
            lines += ["> Quick check: the training tests ran on a subset of the data, so these marks are "
                      "**provisional**; the final grade trains on the full data.", ""]
        for note in self.notes:
            lines.append(f"- {note}")
        for flag in self.flags:
            lines.append(f"- Note: {flag}")
        if self.notes or self.flags:
            lines.append("")
        lines += ["| test | marks | result |", "| --- | ---: | --- |"]
        for t in self.tests:
            hidden = " (hidden)" if t.visibility == "hidden" else ""
            lines.append(f"| {t.name}{hidden} | {t.score:g} / {t.max_score:g} | {t.status} |")
        lines.append("")
        for t in self.tests:
            if t.output and t.status != "passed":
                lines += [f"### {t.name}: {t.score:g} / {t.max_score:g}", "", *[f"    {line}" if line.startswith(
                    "  ") else line for line in t.output.splitlines()], ""]
        return "\n".join(lines).rstrip() + "\n"


def validate_gradescope(data: dict) -> list[str]:
    """The ways ``data`` departs from Gradescope's results.json format (empty when it fits)."""
    problems = []
    if not isinstance(data.get("score"), (int, float)):
        problems.append("score: missing or not a number")
    for key, kind in (("output", str), ("execution_time", (int, float)), ("tests", list)):
        if key in data and not isinstance(data[key], kind):
            problems.append(f"{key}: not a {kind}")
    if data.get("visibility", "visible") not in VISIBILITIES:
        problems.append(f"visibility: {data.get('visibility')!r}")
    for i, test in enumerate(data.get("tests", [])):
        for key, kind in (("name", str), ("score", (int, float)), ("max_score", (int, float)), ("output", str)):
            if not isinstance(test.get(key), kind):
                problems.append(f"tests[{i}].{key}: missing or not a {kind}")
        if test.get("visibility", "visible") not in VISIBILITIES:
            problems.append(f"tests[{i}].visibility: {test.get('visibility')!r}")
        if isinstance(test.get("score"), (int, float)) and isinstance(test.get("max_score"), (int, float)):
            if not 0 <= test["score"] <= test["max_score"]:
                problems.append(f"tests[{i}]: score {test['score']} outside 0..{test['max_score']}")
    total = sum(t.get("score", 0) for t in data.get("tests", []))
    if data.get("tests") and isinstance(data.get("score"), (int, float)) and abs(total - data["score"]) > 1e-6:
        problems.append(f"score {data['score']} is not the sum of the tests' scores {total}")
    return problems
