"""Multi-factor challenges that sandbox passwords ask for in Link, and their answers.

Plaid's sandbox: ``mfa_device`` asks for a device code (``1234``),
``mfa_questions_<n>_<m>`` asks n rounds of m questions (question j of round i is answered
``answer_<i>_<j>``), ``mfa_selections`` asks one multiple-choice question ("Yes"), and
``mfa_selections_<n>_<m>_<o>`` asks n rounds of m questions with o choices each (the
right one is ``answer_<i>_<j>_0``). The headless ``/emulator/link/complete`` and
``/sandbox/public_token/create`` treat these challenges as answered; the Link simulator
shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEVICE_CODE", "MfaChallenge", "MfaQuestion", "challenge_for"]

DEVICE_CODE = "1234"
#: Plaid caps the rounds and questions its sandbox asks; so does the emulator (a typo
#: such as ``mfa_questions_99_99`` should not make a pane of 99 text boxes).
_MAX = 5

_QUESTIONS = re.compile(r"^mfa_questions_(\d+)_(\d+)$")
_SELECTIONS = re.compile(r"^mfa_selections_(\d+)_(\d+)_(\d+)$")


@dataclass(frozen=True)
class MfaQuestion:
    """One prompt: its text, its choices (empty for a text answer) and the right answer."""

    text: str
    answer: str
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """What the Link pane shows (never the answer)."""
        return {"text": self.text, "choices": list(self.choices)}


@dataclass(frozen=True)
class MfaChallenge:
    """The rounds of one challenge; ``mfa_type`` is Link's (code, questions, selections)."""

    mfa_type: str
    rounds: tuple[tuple[MfaQuestion, ...], ...]

    def check(self, round_index: int, answers: list[str]) -> bool:
        """Whether ``answers`` answer every question of that round."""
        questions = self.rounds[round_index]
        return len(answers) == len(questions) and all(
            given.strip() == question.answer
            for given, question in zip(answers, questions, strict=True)
        )

    @property
    def exit_status(self) -> str:
        """Link's exit ``status`` while this challenge is on screen."""
        return {"code": "requires_code", "questions": "requires_questions"}.get(
            self.mfa_type, "requires_selections"
        )


def _bounded(value: str) -> int:
    return max(1, min(int(value), _MAX))


def challenge_for(password: str) -> MfaChallenge | None:
    """The challenge a sandbox password asks for, or None."""
    if password == "mfa_device":
        code = MfaQuestion("Enter the code we sent to your phone", DEVICE_CODE)
        return MfaChallenge("code", ((code,),))
    match = _QUESTIONS.match(password)
    if match:
        rounds, count = (_bounded(g) for g in match.groups())
        return MfaChallenge(
            "questions",
            tuple(
                tuple(
                    MfaQuestion(f"Security question {j} (answer_{i}_{j})", f"answer_{i}_{j}")
                    for j in range(1, count + 1)
                )
                for i in range(1, rounds + 1)
            ),
        )
    if password == "mfa_selections":
        question = MfaQuestion("Is this your first time linking this bank?", "Yes", ("Yes", "No"))
        return MfaChallenge("selections", ((question,),))
    match = _SELECTIONS.match(password)
    if match:
        rounds, count, options = (_bounded(g) for g in match.groups())
        options = max(options, 2)
        return MfaChallenge(
            "selections",
            tuple(
                tuple(
                    MfaQuestion(
                        f"Security question {j}",
                        f"answer_{i}_{j}_0",
                        tuple(f"answer_{i}_{j}_{k}" for k in range(options)),
                    )
                    for j in range(1, count + 1)
                )
                for i in range(1, rounds + 1)
            ),
        )
    return None
