"""User-facing errors: what is wrong, where (file:line or config key), and how to fix it.

Each error renders as one line. The CLI maps `UserError` to exit code 2; anything else is a bug.
Errors also subclass the matching built-in so library callers can catch `ValueError` etc.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; rendered as one line: '<where>: <what>. <fix>'."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what.rstrip(".")
        self.where = where
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.where}: {self.what}." if self.where else f"{self.what}."
        if self.fix:
            fix = self.fix.rstrip(".")
            text += f" {fix[:1].upper()}{fix[1:]}."
        return " ".join(text.split())


class DataError(UserError, ValueError):
    """The labelled dataset cannot be read or is unusable."""


class VectorsError(UserError, ValueError):
    """A pretrained vectors file or name cannot be read."""


class ConfigError(UserError, ValueError):
    """A search space, option or run directory is invalid."""
