"""A meeting (cuộc họp): its kind, time, place, chair and secretary, its room booking, approval, announcement with
a Giấy mời, and the calendar. ``policy`` here is the one gate every other meetings package asks."""
