"""KMS: key policies kept as KMS keeps them, and the key policy and deletion-window rules."""
