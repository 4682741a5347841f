"""A closed vote as the meeting's record carries it into the minutes (``signing/record.py``'s format
``edoc-meeting-record/1``): options and counts by label, the rule self-describing (fractions, not preset names),
named ballots with how each arrived, the secret ballots' digests and the paper ballots' number.

The minutes recompute the result from this alone, with their own implementation: a mismatch shows a bug in one of
the two rather than copying it.
"""

from __future__ import annotations

import json
from typing import Any

from meetings.votes import rules, service
from meetings.votes.models import Vote


def _share(p: rules.Proportion | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"numerator": p.share.numerator, "denominator": p.share.denominator, "strict": p.strict}


def rule_record(vote: Vote) -> dict[str, Any]:
    r = service.rules_of(vote)
    preset = rules.PRESETS.get(vote.preset)
    return {"label": preset.label if preset else r.describe(), "base": r.base,
            "threshold": _share(rules.THRESHOLDS[r.threshold]), "quorum": _share(rules.QUORUMS[r.quorum])}


def vote_record(vote: Vote, number: int) -> dict[str, Any]:
    """``vote`` (closed) as the record's entry number ``number``."""
    if vote.status != "closed" or not vote.result:
        raise ValueError("only a closed vote has a record")
    result = json.loads(vote.result)
    labels = {o.key: o.label for o in vote.options}
    election = vote.option_set == "election"
    entry: dict[str, Any] = {
        "number": number, "title": vote.title, "kind": vote.kind, "members": vote.members_at_close,
        "present": vote.present_at_close, "valid": result["valid"], "invalid": result["invalid"],
        "options": [o.label for o in vote.options],
        "counts": {ln["label"]: ln["votes"] for ln in result["lines"]}, "rule": rule_record(vote),
    }
    if election:
        entry.update(election=True, seats=vote.seats, elected=[labels[k] for k in result["elected"]])
    else:
        approving = next(o.label for o in vote.options if o.approves)
        entry.update(approving=approving, result="passed" if result["passed"] else "rejected")
    if vote.kind == "secret":
        entry["ballot_hashes"] = service.ballot_digests(vote)
        entry["paper_ballots"] = vote.paper_valid + vote.paper_invalid
    elif vote.kind == "named":
        entry["ballots"] = [{"voter": n["name"], "choices": n["choice"], "channel": n["channel"]}
                            for n in service.named_list(vote)]
    return entry
