// The experiments of `tokenizer` and `pretrain` carry models/ sections (torch types), so their YAML loaders are
// instantiated here rather than in config/, which stays free of torch.
#include "epilepsyfm/train/experiments.h"

#include "epilepsyfm/config/yaml_io.h"

EFM_INSTANTIATE_CONFIG(efm::train::TokenizerExperiment)
EFM_INSTANTIATE_CONFIG(efm::train::PretrainExperiment)
