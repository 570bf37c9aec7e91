"""The page being cleaned: its lines, their keys, and the removal rule decided for each.

Every step reads and marks the same ``_Page``: a line is removed when ``rule`` names a rule for
it; ``kept`` is a non-blank line no rule removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.clean.text import _line_key


@dataclass(slots=True)
class _Page:
    lines: list[str]
    rule: dict[int, str] = field(default_factory=dict)  # 0-based index -> removal rule
    keys: list[str] = field(default_factory=list)  # norm_exact of each line ("" when blank)
    filled: list[bool] = field(default_factory=list)  # whether each line is not blank

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = [_line_key(x) for x in self.lines]  # norm_exact, "" when blank
        self.filled = [bool(x.strip()) for x in self.lines]

    def kept(self, i: int) -> bool:
        return self.filled[i] and i not in self.rule
