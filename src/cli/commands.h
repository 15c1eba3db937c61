// kangyun's subcommands. Each takes the arguments after its name and returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace kangyun::cli {

using Args = std::vector<std::string>;

int ServeCommand(const Args& args);
int FhirPathCommand(const Args& args);
int GenerateCommand(const Args& args);
int LoadCommand(const Args& args);
int BackupCommand(const Args& args);
int RestoreCommand(const Args& args);
int UserCommand(const Args& args);
int ClientCommand(const Args& args);
int AuditCommand(const Args& args);
int MpiEvalCommand(const Args& args);
int MpiEstimateCommand(const Args& args);
int PackageCommand(const Args& args);

// The value after option args[*i] (advancing *i); exits with usage status 2 when it is missing.
std::string OptionValue(const char* command, const Args& args, size_t* i);

// Where the FHIR definition files are: --definitions, else $KANGYUN_DEFINITIONS, else the
// directory scripts/install-deps fills.
std::string DefinitionsDir(const std::string& flag_value);

}  // namespace kangyun::cli
