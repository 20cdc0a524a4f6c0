"""Inference runtime: backends, the Stylizer facade, image/video/webcam I/O."""
