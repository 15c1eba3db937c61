// `kangyun fhirpath` prints the result collection as a JSON array, and a bad expression as an
// error with its position and a non-zero exit.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

using Output = CommandOutput;

Output RunFhirPath(const std::string& args) {
  return RunKangyun(KANGYUN_BINARY, "fhirpath " + args);
}

const std::string kPatient = std::string(KANGYUN_SOURCE_DIR) + "/examples/patient.json";

TEST(FhirPathCli, PrintsTheResultAsAJsonArray) {
  Output o = RunFhirPath("\"Patient.name.where(use = 'official').given\" " + kPatient);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.text, "[\"小明\"]\n");
  o = RunFhirPath("\"Patient.birthDate + 1 year\" " + kPatient);
  EXPECT_EQ(o.text, "[\"1981-03-07\"]\n");
  o = RunFhirPath("\"Patient.identifier.count() > 1 and Patient.telecom.exists()\" " + kPatient);
  EXPECT_EQ(o.text, "[true]\n");
}

TEST(FhirPathCli, ReportsErrorsWithTheirPosition) {
  Output o = RunFhirPath("\"Patient.name.where(\" " + kPatient);
  EXPECT_NE(o.exit_code, 0);
  EXPECT_NE(o.text.find("position 20"), std::string::npos) << o.text;
  o = RunFhirPath("\"Patient.name\" /no/such/file.json");
  EXPECT_NE(o.exit_code, 0);
}

// Every command ends its options at `--` and shows its usage with --help.
TEST(Cli, DoubleDashEndsTheOptionsAndHelpShowsTheCommandsUsage) {
  Output o = RunFhirPath("-- \"Patient.birthDate\" " + kPatient);
  EXPECT_EQ(o.exit_code, 0) << o.text;
  EXPECT_EQ(o.text, "[\"1980-03-07\"]\n");
  for (const char* command : {"fhirpath", "load", "serve", "user"}) {
    Output help = RunKangyun(KANGYUN_BINARY, std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.text.find(std::string("  ") + command + " "), std::string::npos) << help.text;
    EXPECT_EQ(help.text.find("  generate "), std::string::npos) << command << ": " << help.text;
  }
}

}  // namespace
}  // namespace kangyun::testing
