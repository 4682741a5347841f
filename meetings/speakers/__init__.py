"""Requests to speak (đăng ký phát biểu) and points of order (kiến nghị thủ tục) on the current agenda item: the
queue the chair reorders, the floor given with a timer all see, and the record of who spoke on what, how long."""
