"""The vote rules without a database: thresholds counted exactly, option sets, ballots checked, decisions with
their reasons."""

from __future__ import annotations

import unicodedata

import pytest

from meetings.votes import rules
from meetings.votes.rules import Electorate, RuleError, Rules, Tally, decide

TAN_THANH = rules.OPTION_SETS["tan_thanh"]


@pytest.mark.parametrize(
    ("threshold", "base", "needed"),
    [
        ("more_than_half", 60, 31), ("more_than_half", 61, 31), ("more_than_half", 1, 1), ("more_than_half", 2, 2),
        ("more_than_half", 0, 1),
        ("two_thirds", 60, 40), ("two_thirds", 61, 41), ("two_thirds", 3, 2), ("two_thirds", 2, 2),
        ("two_thirds", 1000, 667),
    ],
)
def test_threshold_needed_is_exact(threshold, base, needed):
    assert rules.THRESHOLDS[threshold].needed(base) == needed


def test_quorum_two_thirds_of_summoned_is_at_least_and_half_is_more_than():
    two_thirds = rules.QUORUMS["two_thirds_members"]
    assert two_thirds is not None and two_thirds.met(100, 150) and not two_thirds.met(99, 150)
    half = rules.QUORUMS["half_members"]
    assert half is not None and not half.met(50, 100) and half.met(51, 100)
    assert not half.met(0, 0)


def test_presets_fill_the_meeting_quorum_only_where_they_leave_it_open():
    assert rules.preset_rules("majority_present", "two_thirds_members").quorum == "two_thirds_members"
    assert rules.preset_rules("majority_present").quorum == "none"
    assert rules.preset_rules("union_election", "half_members") == Rules(
        "two_thirds_members", "valid_ballots", "more_than_half", True
    )
    with pytest.raises(RuleError, match="không có"):
        rules.preset_rules("bogus")
    with pytest.raises(RuleError):
        Rules("none", "present", "three_quarters")


def test_motion_passes_with_more_than_half_of_present_and_says_why():
    d = decide(TAN_THANH, rules.preset_rules("majority_present", "half_members"),
               Tally({"yes": 31, "no": 20, "abstain": 9}, valid=60), Electorate(members=80, present=60))
    assert d.passed and d.quorum_met and d.headline == "Thông qua"
    assert d.needed == 31 and d.base == 60
    assert "Tán thành: 31/60 thành viên có mặt (51,7%); cần quá nửa (ít nhất 31): đạt." in d.reasons
    assert any("Có mặt 60/80" in r and "đủ túc số" in r for r in d.reasons)
    assert [ln.votes for ln in d.lines] == [31, 20, 9]


def test_motion_one_short_of_the_threshold_fails_naming_the_threshold():
    d = decide(TAN_THANH, rules.preset_rules("majority_present", "none"),
               Tally({"yes": 30, "no": 10, "abstain": 10}, valid=50), Electorate(members=60, present=60))
    # 30 of 60 present is half, not more than half; absentees among the present count against
    assert not d.passed and d.quorum_met
    assert d.headline == "Không thông qua: chưa đạt quá nửa thành viên có mặt tán thành"
    assert any(r.endswith("không đạt.") for r in d.reasons)


def test_base_changes_the_outcome_for_the_same_ballots():
    tally, electorate = Tally({"yes": 40, "no": 10, "abstain": 0}, valid=50), Electorate(members=100, present=70)
    assert decide(TAN_THANH, Rules("none", "valid_ballots", "more_than_half"), tally, electorate).passed
    assert decide(TAN_THANH, Rules("none", "present", "more_than_half"), tally, electorate).passed
    assert not decide(TAN_THANH, Rules("none", "all_members", "more_than_half"), tally, electorate).passed
    assert not decide(TAN_THANH, Rules("none", "present", "two_thirds"), tally, electorate).passed


def test_union_conference_without_two_thirds_present_fails_on_quorum_even_if_unanimous():
    d = decide(TAN_THANH, rules.preset_rules("union_conference"), Tally({"yes": 99}, valid=99),
               Electorate(members=150, present=99))
    assert not d.passed and not d.quorum_met
    assert d.headline == "Không thông qua: không đủ túc số"
    assert any("cần ít nhất hai phần ba số thành viên được triệu tập (ít nhất 100): không đủ túc số" in r
               for r in d.reasons)


def test_dong_y_set_counts_dong_y_as_approval():
    d = decide(rules.OPTION_SETS["dong_y"], Rules("none", "valid_ballots", "two_thirds"),
               Tally({"yes": 2, "no": 0, "other": 1}, valid=3), Electorate(3, 3))
    assert d.passed and any(r.startswith("Đồng ý: 2/3 phiếu hợp lệ") for r in d.reasons)


def test_no_ballot_at_all_is_not_passed_and_says_so():
    d = decide(TAN_THANH, Rules("none", "valid_ballots", "more_than_half"), Tally({}, valid=0), Electorate(5, 5))
    assert not d.passed and d.needed is None
    assert "Không có phiếu hợp lệ nào nên không thể tính tỷ lệ." in d.reasons


def test_invalid_paper_ballots_are_cast_but_not_valid():
    d = decide(TAN_THANH, Rules("none", "valid_ballots", "more_than_half"), Tally({"yes": 3, "no": 2}, 5, 2),
               Electorate(10, 8))
    assert (d.cast, d.valid, d.invalid, d.base, d.needed) == (7, 5, 2, 5, 3) and d.passed
    assert "Số phiếu: 7 (5 hợp lệ, 2 không hợp lệ); 7/8 thành viên có mặt đã bỏ phiếu." in d.reasons


@pytest.mark.parametrize(
    ("tally", "electorate", "message"),
    [
        (Tally({"yes": 3}, valid=2), Electorate(5, 5), "khác số phiếu hợp lệ"),
        (Tally({"yes": -1, "no": 1}, valid=0), Electorate(5, 5), "không âm"),
        (Tally({"maybe": 1}, valid=1), Electorate(5, 5), "không thuộc"),
        (Tally({"yes": 1}, valid=1), Electorate(5, 6), "không thể lớn hơn"),
        (Tally({"yes": True}, valid=1), Electorate(5, 5), "không âm"),
    ],
)
def test_impossible_counts_are_refused(tally, electorate, message):
    with pytest.raises(RuleError, match=message):
        decide(TAN_THANH, Rules("none", "present", "more_than_half"), tally, electorate)


def test_motion_ballot_takes_exactly_one_known_option():
    assert rules.validate_choice(TAN_THANH, ["abstain"]) == ("abstain",)
    for bad, message in [([], "đúng một"), (["yes", "no"], "đúng một"), (["c1"], "không thuộc"),
                         ("yes", "danh sách"), ([1], "danh sách"), (["yes", "yes"], "hai lần")]:
        with pytest.raises(RuleError, match=message):
            rules.validate_choice(TAN_THANH, bad)


def test_election_options_are_cleaned_and_checked():
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn An ")
    options = rules.election_options([decomposed, "Trần Thị Bình", "Lê Cường"], seats=2)
    assert [o.label for o in options.options] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Cường"]
    assert [o.key for o in options.options] == ["c1", "c2", "c3"] and options.seats == 2
    for candidates, seats, message in [
        ([], 1, "ít nhất một"), (["A", " "], 1, "trống"), (["An", "an"], 1, "trùng"),
        (["A", "B"], 3, "nhiều hơn số ứng cử viên"), (["A"], 0, "từ 1"), (["A"], True, "từ 1"),
        (["x" * 201], 1, "dài quá"),
    ]:
        with pytest.raises(RuleError, match=message):
            rules.election_options(candidates, seats)


def test_election_ballot_keeps_one_to_seats_names_in_ballot_order():
    options = rules.election_options(["A", "B", "C"], seats=2)
    assert rules.validate_choice(options, ["c3", "c1"]) == ("c1", "c3")
    with pytest.raises(RuleError, match="tối đa 2"):
        rules.validate_choice(options, ["c1", "c2", "c3"])
    with pytest.raises(RuleError, match="ít nhất một"):
        rules.validate_choice(options, [])
    with pytest.raises(RuleError, match="không thuộc"):
        rules.validate_choice(options, ["yes"])


def test_elections_must_be_secret_when_the_rules_say_so():
    options = rules.election_options(["A", "B"], seats=1)
    with pytest.raises(RuleError, match="bỏ phiếu kín"):
        rules.check_setup("open", options, rules.preset_rules("union_election"))
    rules.check_setup("secret", options, rules.preset_rules("union_election"))
    rules.check_setup("named", options, Rules("none", "valid_ballots", "more_than_half", secret_for_elections=False))
    with pytest.raises(RuleError, match="Hình thức"):
        rules.check_setup("show", TAN_THANH, rules.preset_rules("majority_present"))


def test_election_elects_those_over_half_of_valid_ballots_by_votes():
    options = rules.election_options(["An", "Bình", "Cường", "Dung"], seats=2)
    d = decide(options, rules.preset_rules("union_election"), Tally({"c1": 60, "c2": 80, "c3": 51, "c4": 9},
                                                                        valid=100, invalid=3),
               Electorate(members=120, present=103))
    # An (60) and Cường (51) both pass 51 of 100 valid; Bình leads; two seats go to Bình and An
    assert d.elected == ("c2", "c1") and d.passed and d.needed == 51
    assert d.headline == "Bầu đủ 2/2 người"
    assert [ln.elected for ln in d.lines] == [True, True, False, False]


def test_election_short_of_candidates_over_the_threshold_says_how_many_are_missing():
    options = rules.election_options(["An", "Bình", "Cường"], seats=2)
    d = decide(options, rules.preset_rules("union_election"), Tally({"c1": 70, "c2": 50, "c3": 40}, valid=100),
               Electorate(members=120, present=100))
    assert d.elected == ("c1",) and not d.passed
    assert d.headline == "Trúng cử 1/2 người; cần bầu thêm 1"


def test_election_tie_across_the_last_seat_elects_neither_and_asks_for_a_new_round():
    options = rules.election_options(["An", "Bình", "Cường"], seats=2)
    d = decide(options, rules.preset_rules("union_election"), Tally({"c1": 80, "c2": 60, "c3": 60}, valid=100),
               Electorate(members=120, present=100))
    assert d.elected == ("c1",) and not d.passed
    assert any("Bình, Cường bằng phiếu nhau (60)" in r and "bầu lại" in r for r in d.reasons)


def test_election_tie_inside_the_seats_elects_both():
    options = rules.election_options(["An", "Bình", "Cường"], seats=2)
    d = decide(options, rules.preset_rules("union_election"), Tally({"c1": 60, "c2": 60, "c3": 10}, valid=100),
               Electorate(members=120, present=100))
    assert set(d.elected) == {"c1", "c2"} and d.passed


def test_election_without_quorum_elects_nobody():
    options = rules.election_options(["An"], seats=1)
    d = decide(options, rules.preset_rules("union_election"), Tally({"c1": 50}, valid=50),
               Electorate(members=120, present=50))
    assert d.elected == () and not d.passed and d.headline.endswith("không đủ túc số")


def test_election_counts_cannot_exceed_ballots():
    options = rules.election_options(["An", "Bình"], seats=1)
    with pytest.raises(RuleError, match="nhiều phiếu hơn"):
        decide(options, rules.preset_rules("union_election"), Tally({"c1": 11}, valid=10), Electorate(20, 20))
    with pytest.raises(RuleError, match="vượt quá"):
        decide(options, rules.preset_rules("union_election"), Tally({"c1": 10, "c2": 10}, valid=10),
               Electorate(20, 20))


def test_percent_is_written_the_vietnamese_way():
    assert rules.percent(2, 3) == "66,7%" and rules.percent(1, 1) == "100,0%" and rules.percent(0, 0) == "–"


def test_decision_serialises_to_plain_data():
    d = decide(TAN_THANH, Rules("none", "present", "more_than_half"), Tally({"yes": 1}, valid=1), Electorate(1, 1))
    data = d.as_dict()
    assert data["passed"] is True and data["rules"]["base"] == "present" and data["lines"][0]["label"] == "Tán thành"
    assert "tán thành" in Rules("none", "present", "more_than_half").describe()
