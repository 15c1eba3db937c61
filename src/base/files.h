// Whole files read into memory: definitions, models, keys, the portal's built files.
#pragma once

#include <optional>
#include <string>

namespace kangyun {

// The bytes of the file at `path`, or nullopt when it cannot be read (each caller says why in
// its own terms).
std::optional<std::string> ReadFileBytes(const std::string& path);

}  // namespace kangyun
