"""PyTorch networks and checkpoint loading. Importing this package needs torch."""
