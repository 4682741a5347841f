"""Registers (sổ đăng ký) and numbering: one sequence per register per calendar year, from 01, never a
duplicate and never a gap (Decree 30/2020/ND-CP, Article 15)."""
