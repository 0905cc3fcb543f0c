"""One small exception family: users see `UserError`s as messages, never tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


class SimulatorError(Exception):
    """Base of every error the simulator raises on purpose."""


class UserError(SimulatorError):
    """Bad input from the user: the CLI prints the message and exits with status 2."""


@dataclass(frozen=True)
class Location:
    """Where a value came from: a file position, or a command-line override."""

    source: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, said where and what was expected."""

    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: {self.path}" if self.path else str(self.location)
        return f"{where}: {self.message}"


class ScenarioError(UserError):
    """Every problem found in one input, collected into one message."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len(problems)
        heading = "1 problem" if count == 1 else f"{count} problems"
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{heading} found:\n{lines}")

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[Problem]]]:
        """Rebuild from the problems, not the message (a worker's error crosses processes
        by pickle, which would otherwise pass the message where problems are expected)."""
        return type(self), (self.problems,)
