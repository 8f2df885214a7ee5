"""Safety rules shared by training and serving: the PHI guard (and, later, the red-flag rules)."""
