"""Ray Tune sweeps over beta (KL coefficient), epsilon (PPO clip) and the learning rate (jobs/sweep.py).

space.py: the search space and the scheduler; objective.py: the trial's score and the ranking (pure);
trainable.py: one trial, a short PPO run on Ray actors that reports its held-out objective;
tuner.py: the Tuner with each trial's placement group, and the trial table."""
