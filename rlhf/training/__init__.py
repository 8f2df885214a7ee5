"""Ray-free training loops (SFT, reward model) and what they share; Ray Train runs them via actors/training.py."""
