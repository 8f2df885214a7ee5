"""Ray-free core of the clinical RLHF system: config, data, models, safety, tracking."""
