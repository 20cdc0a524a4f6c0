"""Training: feature networks, losses, discriminator, data sampling, the trainer (needs torch)."""
