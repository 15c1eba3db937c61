// Long commands say how far they are (cli/progress.h): away from a terminal, a line every
// $KANGYUN_PROGRESS_SECONDS with what is done, the rate and the time left. Here every update is
// shown, so that a small city's commands show some.
#include <gtest/gtest.h>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

CommandOutput RunWithProgress(const std::string& args) {
  return RunKangyun("KANGYUN_PROGRESS_SECONDS=0 " + std::string(KANGYUN_BINARY), args);
}

void ExpectProgress(const CommandOutput& o, const std::string& line_start,
                    const std::string& unit) {
  EXPECT_EQ(o.exit_code, 0) << o.text;
  size_t at = o.text.find("\n" + line_start + " ");
  ASSERT_NE(at, std::string::npos) << o.text;
  std::string line = o.text.substr(at + 1, o.text.find('\n', at + 1) - at - 1);
  EXPECT_NE(line.find("%"), std::string::npos) << line;
  if (!unit.empty()) {
    EXPECT_NE(line.find(" " + unit), std::string::npos) << line;
    EXPECT_NE(line.find("/s"), std::string::npos) << line;
  }
  EXPECT_NE(line.find(" left"), std::string::npos) << line;
}

TEST(Progress, LongCommandsSayHowFarTheyAreWithTheTimeLeft) {
  std::string dir = ScratchFolder("kangyun-progress");
  // The first line of output is the command's own; a progress line follows a newline.
  ExpectProgress(RunWithProgress("generate --residents 400 --seed 7 --out " + dir + "/city"),
                 "generating", "residents");
  ExpectProgress(
      RunWithProgress("load --db sqlite:" + dir + "/city.db --batch 200 " + dir + "/city"),
      "loading", "resources");
  ExpectProgress(
      RunWithProgress("backup --db sqlite:" + dir + "/city.db --out " + dir + "/copy.db"),
      "backing up", "");
  ExpectProgress(
      RunWithProgress("restore --from " + dir + "/copy.db --db sqlite:" + dir + "/restored.db"),
      "restoring", "");
  ExpectProgress(RunWithProgress("mpi-eval " + dir + "/city"), "reading", "Patients");
}

}  // namespace
}  // namespace kangyun::testing
