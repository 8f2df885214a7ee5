"""The Ray-free core of the safety-gated endpoint: API schema, gate, routing, access, audit log, metrics."""
