"""A meeting's quorum rule (túc số) and the exact proportions it and a vote's threshold are counted with.

Pure (no database): the meeting's form lists ``QUORUM_LABELS``, the check-in's quorum and the votes' rules
(``meetings.votes.rules``) count with ``Proportion``, so "quá nửa" of 61 is 31 and "hai phần ba" of 61 is 41
everywhere, never a float rounded the wrong way. Kept in the meeting's package, which the votes depend on.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Proportion:
    """``strict``: more than ``share`` of the base (quá nửa); otherwise at least ``share`` (ít nhất hai phần ba)."""

    key: str
    label: str
    share: Fraction
    strict: bool

    def needed(self, base: int) -> int:
        """The smallest whole number of people that meets this proportion of ``base``."""
        if base < 0:
            raise ValueError("base must not be negative")
        exact = self.share * base
        if self.strict:
            return exact.numerator // exact.denominator + 1
        return -(-exact.numerator // exact.denominator)

    def met(self, count: int, base: int) -> bool:
        return base > 0 and count >= self.needed(base)


QUORUMS: dict[str, Proportion | None] = {
    "none": None,
    "half_members": Proportion("half_members", "quá nửa số thành viên được triệu tập", Fraction(1, 2), True),
    "two_thirds_members": Proportion(
        "two_thirds_members", "ít nhất hai phần ba số thành viên được triệu tập", Fraction(2, 3), False
    ),
}
QUORUM_LABELS: dict[str, str] = {"none": "không yêu cầu túc số"} | {
    key: rule.label for key, rule in QUORUMS.items() if rule is not None
}
