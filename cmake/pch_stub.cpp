// Intentionally empty: carries the precompiled <torch/torch.h> shared by the torch layers.
