"""The directory of outside organisations (danh bạ cơ quan ngoài): senders and recipients."""
