"""The training math as pure torch functions, each unit-tested against hand-computed values."""
