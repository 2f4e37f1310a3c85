"""chainrule.grading: an autograder for the catalogue's graded exercises (section E).

    from chainrule.grading import grade, all_assignments
    result = grade("B1", "q1.py")               # a GradeResult: per-test marks and feedback
    result.write_gradescope("results.json")      # Gradescope's format
    print(result.feedback())                     # Markdown for the student

Each assignment is one declarative file in :mod:`.assignments` (tests, marks, contracts) with
its reference solution in ``files/``; the skeleton a student starts from is made from that
solution (:mod:`.starter`). A submission is untrusted: it runs in a child process with limits
(:mod:`.sandbox`) and only its outputs come back; the expected values never leave the grader.
"""

from .assignment import Assignment, Context, Fault, Outcome, Test
from .grader import grade
from .registry import all_assignments, get_assignment
from .results import GradeResult, TestResult, validate_gradescope
from .sandbox import Limits, Sandbox, SubmissionFault

__all__ = ["Assignment", "Context", "Fault", "GradeResult", "Limits", "Outcome", "Sandbox", "SubmissionFault",
           "Test", "TestResult", "all_assignments", "get_assignment", "grade", "validate_gradescope"]
