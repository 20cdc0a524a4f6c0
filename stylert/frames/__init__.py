"""The frame codec every layer shares: image files in and out (``images``) and the host definitions of
pre/post-processing between uint8 BGR frames and the models' float RGB NCHW tensors (``prepost``)."""
