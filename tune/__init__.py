"""Ray Tune sweeps over beta, epsilon and the learning rate."""
