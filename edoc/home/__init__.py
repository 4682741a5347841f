"""The start page (trang chủ) after sign-in."""
