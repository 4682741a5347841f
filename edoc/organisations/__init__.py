"""Organisations (cơ quan, tổ chức) and their units (đơn vị, phòng ban)."""
