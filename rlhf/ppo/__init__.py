"""PPO's math and learner, Ray-free: the actors in actors/ and the driver in jobs/ppo.py wrap it."""
