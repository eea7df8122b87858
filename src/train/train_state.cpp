#include "epilepsyfm/train/train_state.h"

#include <fmt/format.h>

#include "epilepsyfm/config/loader.h"
#include "epilepsyfm/config/yaml_io.h"
#include "epilepsyfm/core/error.h"
#include "epilepsyfm/core/fs.h"

EFM_INSTANTIATE_CONFIG(efm::train::TrainState)

namespace efm::train {
namespace fs = std::filesystem;

TrainState TrainState::read(const fs::path& checkpoint_dir) {
  const fs::path file = checkpoint_dir / kFile;
  if (!fs::is_regular_file(file))
    throw DataError(fmt::format("{}: missing (an incomplete checkpoint?)", file.string()));
  try {
    return config::parse_yaml<TrainState>(read_file(file), file.string());
  } catch (const ConfigError& e) {
    // a damaged checkpoint, not a setting the user can change
    throw DataError(fmt::format("{}: {}", file.string(), e.what()));
  }
}

void TrainState::write(const fs::path& checkpoint_dir) const {
  atomic_write_file(checkpoint_dir / kFile, config::to_yaml(*this));
}

}  // namespace efm::train
