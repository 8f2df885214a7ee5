"""Ray Serve application: the safety-gated clinical endpoint POST /api/v1/clinical-assist."""
