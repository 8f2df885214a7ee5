"""Ray actors, one file per role (rollout, reference, reward, learner)."""
