"""The Ray layer: the PPO trainer (ppo_trainer.py) and its actors, one file per role (rollout, reference,
reward, learner), their placement group, the stages run through Ray Train (stages.py, training.py) and
joining the cluster (cluster.py)."""
