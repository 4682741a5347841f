"""Working days (ngày làm việc): weekends, Vietnam's public holidays and the admin's yearly swaps."""
