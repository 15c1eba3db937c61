// kangyun fhirpath 'EXPR' RESOURCE.json: a tool for writing SearchParameters.
#include <cstdio>

#include "base/files.h"
#include "cli/commands.h"
#include "fhir/definitions.h"
#include "fhir/fhirpath/fhirpath.h"
#include "json/json.h"

namespace kangyun::cli {

int FhirPathCommand(const Args& args) {
  std::vector<std::string> positional;
  std::string definitions;
  bool no_definitions = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--definitions" && i + 1 < args.size())
      definitions = args[++i];
    else if (args[i] == "--no-definitions")
      no_definitions = true;
    else
      positional.push_back(args[i]);
  }
  if (positional.size() != 2) {
    std::fprintf(stderr, "usage: kangyun fhirpath 'EXPRESSION' RESOURCE.json\n");
    return 2;
  }
  auto expr = fhir::fhirpath::Compile(positional[0]);
  if (!expr.ok()) {
    std::fprintf(stderr, "%s\n", expr.status().message().c_str());
    return 1;
  }
  std::optional<std::string> text = ReadFileBytes(positional[1]);
  if (!text) {
    std::fprintf(stderr, "cannot read %s\n", positional[1].c_str());
    return 1;
  }
  auto resource = json::Parse(*text);
  if (!resource.ok()) {
    std::fprintf(stderr, "%s: %s\n", positional[1].c_str(), resource.status().message().c_str());
    return 1;
  }
  fhir::fhirpath::EvalOptions options;
  std::unique_ptr<fhir::Definitions> defs;
  if (!no_definitions) {
    // Types from the definitions make `is`/`as` and choice elements exact; without them the
    // engine infers types from the JSON.
    auto loaded = fhir::Definitions::Load(DefinitionsDir(definitions));
    if (loaded.ok()) {
      defs = std::move(loaded).value();
      options.definitions = defs.get();
    }
  }
  auto result = fhir::fhirpath::Evaluate(**expr, *resource, options);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", json::Write(fhir::fhirpath::ToJson(*result)).c_str());
  return 0;
}

}  // namespace kangyun::cli
