"""Assignments (giao việc) with working-day deadlines, progress and reminders: used by incoming documents and, later,
by meetings' conclusions. A task knows its subject only as (kind, id); the owning package registers how to name and
link each kind (``edoc.tasks.subjects``), so this package imports none of them."""
