"""The rules of a vote, without a database: option sets, quorum, the base of the majority, the threshold, and
the decision that says passed or not and why, in Vietnamese.

Pure functions over plain numbers so that every rule is tested exhaustively and the result stated in the minutes
is computed by one function only. Counting is exact (``Fraction``): "quá nửa" of 61 is 31, "hai phần ba" of 61
is 41, never a float rounded the wrong way.

OpenSlides keeps a "100 % base" and a "majority method" on each poll but since version 4 stopped deciding
anything with them; Vietnamese bodies need the decision itself and its reason written in the result, so the rule
travels with the vote (copied from a preset at creation) and the decision is computed when the chair closes it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from meetings.meeting.quorum import QUORUM_LABELS, QUORUMS, Proportion

__all__ = ["QUORUM_LABELS", "QUORUMS", "Proportion"]  # the quorum presets, counted as the meeting counts them

KINDS: dict[str, str] = {
    "open": "Biểu quyết công khai",
    "named": "Biểu quyết ghi danh",
    "secret": "Bỏ phiếu kín",
}


class RuleError(ValueError):
    """A vote set up against its rules, or a ballot its options do not allow; the message is for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


THRESHOLDS: dict[str, Proportion] = {
    "more_than_half": Proportion("more_than_half", "quá nửa", Fraction(1, 2), True),
    "two_thirds": Proportion("two_thirds", "ít nhất hai phần ba", Fraction(2, 3), False),
}

# What the threshold is taken of. The label reads after "x/y" in the result ("31/60 thành viên có mặt").
BASES: dict[str, str] = {
    "all_members": "tổng số thành viên có quyền biểu quyết",
    "present": "thành viên có mặt",
    "valid_ballots": "phiếu hợp lệ",
}


@dataclass(frozen=True)
class Rules:
    quorum: str
    base: str
    threshold: str
    secret_for_elections: bool = True

    def __post_init__(self) -> None:
        if self.quorum not in QUORUMS:
            raise RuleError(f"Quy tắc túc số “{self.quorum}” không có.", field="quorum")
        if self.base not in BASES:
            raise RuleError(f"Cơ sở tính tỷ lệ “{self.base}” không có.", field="base")
        if self.threshold not in THRESHOLDS:
            raise RuleError(f"Ngưỡng “{self.threshold}” không có.", field="threshold")

    def describe(self) -> str:
        """One sentence for the result and the minutes."""
        text = f"Thông qua khi {THRESHOLDS[self.threshold].label} {BASES[self.base]} tán thành"
        text += f"; túc số: {QUORUM_LABELS[self.quorum]}"
        if self.secret_for_elections:
            text += "; bầu cử bắt buộc bỏ phiếu kín"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "quorum": self.quorum,
            "base": self.base,
            "threshold": self.threshold,
            "secret_for_elections": self.secret_for_elections,
        }


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    quorum: str | None  # None: the meeting's own quorum rule (Meeting.quorum_rule)
    base: str
    threshold: str
    secret_for_elections: bool = True

    def rules(self, meeting_quorum: str | None = None) -> Rules:
        quorum = self.quorum or meeting_quorum or "none"
        return Rules(quorum, self.base, self.threshold, self.secret_for_elections)


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("majority_present", "Quá nửa số thành viên có mặt tán thành", None, "present", "more_than_half"),
        Preset(
            "majority_all_members",
            "Quá nửa tổng số thành viên tán thành (như Hội đồng nhân dân)",
            None,
            "all_members",
            "more_than_half",
        ),
        Preset(
            "two_thirds_all_members", "Ít nhất hai phần ba tổng số thành viên tán thành", None, "all_members",
            "two_thirds",
        ),
        Preset(
            "union_conference",
            "Đại hội công đoàn: túc số hai phần ba, quá nửa số đại biểu có mặt tán thành",
            "two_thirds_members",
            "present",
            "more_than_half",
        ),
        Preset(
            "union_election",
            "Bầu cử công đoàn: túc số hai phần ba, trúng cử khi quá nửa số phiếu hợp lệ, bỏ phiếu kín",
            "two_thirds_members",
            "valid_ballots",
            "more_than_half",
        ),
    )
}
DEFAULT_PRESET = "majority_present"


def preset_rules(key: str, meeting_quorum: str | None = None) -> Rules:
    preset = PRESETS.get(key)
    if preset is None:
        raise RuleError(f"Quy tắc biểu quyết “{key}” không có.", field="preset")
    return preset.rules(meeting_quorum)


# --- option sets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    approves: bool = False  # the option whose count is measured against the threshold


@dataclass(frozen=True)
class OptionSet:
    key: str
    options: tuple[Option, ...]
    election: bool = False
    seats: int = 1  # elections: how many to elect; a ballot names at most this many
    min_choices: int = 1

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    @property
    def approving(self) -> Option | None:
        return next((o for o in self.options if o.approves), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "election": self.election,
            "seats": self.seats,
            "min_choices": self.min_choices,
            "options": [{"key": o.key, "label": o.label, "approves": o.approves} for o in self.options],
        }


OPTION_SETS: dict[str, OptionSet] = {
    "tan_thanh": OptionSet(
        "tan_thanh",
        (
            Option("yes", "Tán thành", approves=True),
            Option("no", "Không tán thành"),
            Option("abstain", "Không biểu quyết"),
        ),
    ),
    "dong_y": OptionSet(
        "dong_y",
        (
            Option("yes", "Đồng ý", approves=True),
            Option("no", "Không đồng ý"),
            Option("other", "Ý kiến khác"),
        ),
    ),
}
MAX_CANDIDATES = 200
MAX_LABEL = 200


def clean_label(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def election_options(candidates: Sequence[str], seats: int) -> OptionSet:
    """An election among ``candidates`` (names, in ballot order) for ``seats`` places.

    A ballot keeps between one and ``seats`` names: the trade union's guidance counts a ballot with every name
    struck out, or with more names kept than places, as invalid, so the page never produces one (tellers enter
    invalid paper ballots as a number).
    """
    names = [clean_label(c) for c in candidates]
    if not names:
        raise RuleError("Cuộc bầu cử cần ít nhất một ứng cử viên.", field="candidates")
    if len(names) > MAX_CANDIDATES:
        raise RuleError(f"Tối đa {MAX_CANDIDATES} ứng cử viên.", field="candidates")
    for name in names:
        if not name:
            raise RuleError("Tên ứng cử viên không được để trống.", field="candidates")
        if len(name) > MAX_LABEL:
            raise RuleError(f"Tên ứng cử viên dài quá {MAX_LABEL} ký tự.", field="candidates")
    folded = [n.casefold() for n in names]
    if len(set(folded)) != len(folded):
        raise RuleError("Danh sách ứng cử viên có tên trùng nhau.", field="candidates")
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise RuleError("Số người cần bầu phải là số nguyên từ 1 trở lên.", field="seats")
    if seats > len(names):
        raise RuleError(
            f"Số người cần bầu ({seats}) nhiều hơn số ứng cử viên ({len(names)}).", field="seats"
        )
    options = tuple(Option(f"c{i}", name) for i, name in enumerate(names, start=1))
    return OptionSet("election", options, election=True, seats=seats)


def check_setup(kind: str, options: OptionSet, rules: Rules) -> None:
    """Refuses a vote its own rules forbid (an election by show of hands where the rules force a secret ballot)."""
    if kind not in KINDS:
        raise RuleError(f"Hình thức biểu quyết “{kind}” không có.", field="kind")
    if options.election and rules.secret_for_elections and kind != "secret":
        raise RuleError("Bầu cử phải bỏ phiếu kín theo quy tắc đã chọn.", field="kind")
    if not options.election and options.approving is None:
        raise RuleError("Bộ phương án cần một phương án tán thành.", field="options")


def validate_choice(options: OptionSet, choice: Sequence[str]) -> tuple[str, ...]:
    """The option keys of one ballot, checked: one option for a motion; 1..seats distinct candidates for an
    election. Returns them in ballot order so that equal ballots compare equal."""
    if isinstance(choice, str) or not all(isinstance(c, str) for c in choice):
        raise RuleError("Phiếu không hợp lệ: lựa chọn phải là danh sách phương án.", field="choice")
    keys = list(dict.fromkeys(choice))
    if len(keys) != len(choice):
        raise RuleError("Phiếu không hợp lệ: một phương án được chọn hai lần.", field="choice")
    known = {o.key for o in options.options}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise RuleError("Phiếu không hợp lệ: có phương án không thuộc cuộc biểu quyết này.", field="choice")
    if not options.election:
        if len(keys) != 1:
            raise RuleError("Hãy chọn đúng một phương án.", field="choice")
        return tuple(keys)
    if len(keys) < options.min_choices:
        raise RuleError("Phiếu bầu phải giữ lại ít nhất một ứng cử viên.", field="choice")
    if len(keys) > options.seats:
        raise RuleError(
            f"Phiếu bầu chỉ được chọn tối đa {options.seats} người (số người cần bầu).", field="choice"
        )
    order = {o.key: i for i, o in enumerate(options.options)}
    return tuple(sorted(keys, key=order.__getitem__))


# --- the decision ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """What was counted. ``counts``: choices per option key (for an election, the ballots naming each candidate);
    ``valid``: valid ballots; ``invalid``: ballots the tellers found invalid (paper only)."""

    counts: Mapping[str, int]
    valid: int
    invalid: int = 0

    @property
    def cast(self) -> int:
        return self.valid + self.invalid


@dataclass(frozen=True)
class Electorate:
    """``members``: those with a vote summoned to the meeting (a deputy stands for the member, not in addition);
    ``present``: of them, those checked in when the vote closed."""

    members: int
    present: int


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    votes: int
    share: str  # of the base, formatted for Vietnamese readers
    elected: bool | None = None


@dataclass(frozen=True)
class Decision:
    passed: bool
    headline: str
    reasons: tuple[str, ...]
    quorum_met: bool
    base: int
    needed: int | None
    lines: tuple[Line, ...]
    elected: tuple[str, ...] = ()
    cast: int = 0
    valid: int = 0
    invalid: int = 0
    rules: Rules | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "headline": self.headline,
            "reasons": list(self.reasons),
            "quorum_met": self.quorum_met,
            "base": self.base,
            "needed": self.needed,
            "cast": self.cast,
            "valid": self.valid,
            "invalid": self.invalid,
            "elected": list(self.elected),
            "lines": [
                {"key": ln.key, "label": ln.label, "votes": ln.votes, "share": ln.share, "elected": ln.elected}
                for ln in self.lines
            ],
            "rules": self.rules.as_dict() if self.rules else None,
        }


def percent(count: int, base: int) -> str:
    """``75,0%``: one decimal, a decimal comma as Vietnamese writes it; a dash when there is no base."""
    if base <= 0:
        return "–"
    tenths = (Fraction(count * 1000, base) + Fraction(1, 2)).__floor__()
    return f"{tenths // 10},{tenths % 10}%"


def _check_numbers(options: OptionSet, tally: Tally, electorate: Electorate) -> None:
    numbers = [tally.valid, tally.invalid, electorate.members, electorate.present, *tally.counts.values()]
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
        raise RuleError("Số phiếu phải là số nguyên không âm.", field="tally")
    if set(tally.counts) - {o.key for o in options.options}:
        raise RuleError("Kết quả có phương án không thuộc cuộc biểu quyết này.", field="tally")
    total = sum(tally.counts.values())
    if not options.election and total != tally.valid:
        raise RuleError(
            f"Tổng số phiếu các phương án ({total}) khác số phiếu hợp lệ ({tally.valid}).", field="tally"
        )
    if options.election:
        if any(n > tally.valid for n in tally.counts.values()):
            raise RuleError("Một ứng cử viên không thể có nhiều phiếu hơn số phiếu hợp lệ.", field="tally")
        if total > tally.valid * options.seats:
            raise RuleError("Tổng số phiếu bầu vượt quá số phiếu hợp lệ nhân số người cần bầu.", field="tally")
    if electorate.present > electorate.members:
        raise RuleError("Số có mặt không thể lớn hơn số được triệu tập.", field="electorate")


def _quorum(rules: Rules, electorate: Electorate) -> tuple[bool, str]:
    rule = QUORUMS[rules.quorum]
    if rule is None:
        return True, f"Có mặt {electorate.present}/{electorate.members} thành viên; không yêu cầu túc số."
    needed = rule.needed(electorate.members)
    met = rule.met(electorate.present, electorate.members)
    state = "đủ túc số" if met else "không đủ túc số"
    return met, (
        f"Có mặt {electorate.present}/{electorate.members} thành viên được triệu tập"
        f" ({percent(electorate.present, electorate.members)}); cần {rule.label} (ít nhất {needed}): {state}."
    )


def _base(rules: Rules, tally: Tally, electorate: Electorate) -> int:
    if rules.base == "all_members":
        return electorate.members
    if rules.base == "present":
        return electorate.present
    return tally.valid


def decide(options: OptionSet, rules: Rules, tally: Tally, electorate: Electorate) -> Decision:
    """Passed or not, and why, for the vote's rules and what was counted."""
    _check_numbers(options, tally, electorate)
    quorum_met, quorum_reason = _quorum(rules, electorate)
    base = _base(rules, tally, electorate)
    threshold = THRESHOLDS[rules.threshold]
    needed = threshold.needed(base) if base > 0 else None
    turnout = (
        f"Số phiếu: {tally.cast} ({tally.valid} hợp lệ"
        + (f", {tally.invalid} không hợp lệ" if tally.invalid else "")
        + f"); {tally.cast}/{electorate.present} thành viên có mặt đã bỏ phiếu."
    )
    common = dict(quorum_met=quorum_met, base=base, needed=needed, cast=tally.cast, valid=tally.valid,
                  invalid=tally.invalid, rules=rules)
    if options.election:
        return _decide_election(options, rules, tally, quorum_met, quorum_reason, turnout, base, needed, common)

    lines = tuple(Line(o.key, o.label, tally.counts.get(o.key, 0), percent(tally.counts.get(o.key, 0), base))
                  for o in options.options)
    approving = options.approving
    assert approving is not None  # check_setup refuses a motion without one
    yes = tally.counts.get(approving.key, 0)
    reasons = [quorum_reason, turnout]
    if base == 0:
        reasons.append(f"Không có {BASES[rules.base]} nào nên không thể tính tỷ lệ.")
        majority = False
    else:
        majority = yes >= (needed or 0)
        reasons.append(
            f"{approving.label}: {yes}/{base} {BASES[rules.base]} ({percent(yes, base)}); cần {threshold.label}"
            f" (ít nhất {needed}): {'đạt' if majority else 'không đạt'}."
        )
    passed = quorum_met and majority
    if passed:
        headline = "Thông qua"
    elif not quorum_met:
        headline = "Không thông qua: không đủ túc số"
    else:
        headline = f"Không thông qua: chưa đạt {threshold.label} {BASES[rules.base]} {approving.label.lower()}"
    return Decision(passed=passed, headline=headline, reasons=tuple(reasons), lines=lines, **common)


def _decide_election(
    options: OptionSet,
    rules: Rules,
    tally: Tally,
    quorum_met: bool,
    quorum_reason: str,
    turnout: str,
    base: int,
    needed: int | None,
    common: dict[str, Any],
) -> Decision:
    threshold = THRESHOLDS[rules.threshold]
    reasons = [quorum_reason, turnout]
    votes = {o.key: tally.counts.get(o.key, 0) for o in options.options}
    qualified = [o for o in options.options if needed is not None and votes[o.key] >= needed]
    qualified.sort(key=lambda o: -votes[o.key])
    elected: list[Option] = []
    tied: list[Option] = []
    if quorum_met:
        if len(qualified) <= options.seats:
            elected = qualified
        else:
            cutoff = votes[qualified[options.seats - 1].key]
            elected = [o for o in qualified if votes[o.key] > cutoff]
            tied = [o for o in qualified if votes[o.key] == cutoff]
            if len(elected) + len(tied) <= options.seats:  # the last place is shared inside the seats: no tie
                elected, tied = elected + tied, []
    if needed is None:
        reasons.append(f"Không có {BASES[rules.base]} nào nên không ai trúng cử.")
    else:
        reasons.append(
            f"Trúng cử khi được {threshold.label} {BASES[rules.base]} ({base}), tức ít nhất {needed} phiếu,"
            f" lấy người nhiều phiếu hơn trong {options.seats} người cần bầu."
        )
    if tied:
        names = ", ".join(o.label for o in tied)
        reasons.append(
            f"{names} bằng phiếu nhau ({votes[tied[0].key]}) ở vị trí cuối, vượt số người cần bầu: phải bầu lại"
            " giữa những người này."
        )
    elected_keys = {o.key for o in elected}
    lines = tuple(
        Line(o.key, o.label, votes[o.key], percent(votes[o.key], base), elected=o.key in elected_keys)
        for o in options.options
    )
    filled = len(elected)
    passed = quorum_met and filled == options.seats
    if not quorum_met:
        headline = "Cuộc bầu không có giá trị: không đủ túc số"
    elif passed:
        headline = f"Bầu đủ {filled}/{options.seats} người"
    else:
        headline = f"Trúng cử {filled}/{options.seats} người; cần bầu thêm {options.seats - filled}"
    ordered = tuple(o.key for o in sorted(elected, key=lambda o: -votes[o.key]))
    return Decision(passed=passed, headline=headline, reasons=tuple(reasons), lines=lines, elected=ordered,
                    **common)
