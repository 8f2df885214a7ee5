"""Model registry, checkpoint resolution (GGUF conversion, tiny test model) and loading."""
