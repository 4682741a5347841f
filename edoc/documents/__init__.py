"""Outgoing documents (văn bản đi): drafts with versions and review, approval, issuing with a number,
recipients (nơi nhận) with delivery tracked, recall and replacement (Decree 30/2020/ND-CP, Articles 10-19)."""
