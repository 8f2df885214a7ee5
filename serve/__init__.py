"""Ray Serve application: the safety-gated clinical endpoint."""
