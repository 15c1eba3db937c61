#include "http/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kangyun::http {
namespace {

std::string Header(const StaticResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("ky-static-" + std::to_string(getpid()));
    std::filesystem::create_directories(root_ / "assets");
    Write("index.html", "<html>app</html>");
    Write("assets/app-1234.js", "console.log(1)");
    Write("assets/app-1234.js.gz", "GZ");
    Write("favicon.svg", "<svg/>");
    std::ofstream(root_.parent_path() / "secret.txt") << "not the portal's";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name, std::ios::binary) << text;
  }
  std::filesystem::path root_;
};

TEST_F(StaticFilesTest, ServesFilesByNameAndScreensAsTheApp) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok()) << files.status().message();
  auto index = (*files)->Get("/", false);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->body, "<html>app</html>");
  EXPECT_EQ(Header(*index, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Header(*index, "Cache-Control"), "no-cache");
  // A screen of the portal is the app, whose router draws it.
  auto screen = (*files)->Get("/resident", false);
  ASSERT_TRUE(screen);
  EXPECT_EQ(screen->body, "<html>app</html>");
  auto icon = (*files)->Get("/favicon.svg", false);
  ASSERT_TRUE(icon);
  EXPECT_EQ(Header(*icon, "Content-Type"), "image/svg+xml");
}

TEST_F(StaticFilesTest, AssetsAreCachedForGoodAndSentCompressedToWhoAcceptsIt) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  auto plain = (*files)->Get("/assets/app-1234.js", false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, "console.log(1)");
  EXPECT_EQ(Header(*plain, "Content-Encoding"), "");
  EXPECT_EQ(Header(*plain, "Vary"), "Accept-Encoding");
  EXPECT_EQ(Header(*plain, "Cache-Control"), "public, max-age=31536000, immutable");
  auto gz = (*files)->Get("/assets/app-1234.js", true);
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->body, "GZ");
  EXPECT_EQ(Header(*gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(*gz, "Content-Type"), "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, NothingOutsideTheBuiltFilesIsServed) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  EXPECT_FALSE((*files)->Get("/assets/missing.js", false));
  EXPECT_FALSE((*files)->Get("/../secret.txt", false));
  EXPECT_FALSE((*files)->Get("/assets/../../secret.txt", false));
  EXPECT_EQ((*files)->size(), 3u);
}

TEST_F(StaticFilesTest, AnEmptyFileIsServedAndAGzipWithoutItsOriginalIsNot) {
  Write("empty.txt", "");
  Write("orphan.js.gz", "GZ");
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  auto empty = (*files)->Get("/empty.txt", true);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->body, "");
  EXPECT_FALSE((*files)->Get("/orphan.js", true));
}

TEST_F(StaticFilesTest, AFolderWithoutIndexHtmlIsNoPortal) {
  std::filesystem::remove(root_ / "index.html");
  auto files = StaticFiles::Load(root_.string());
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("index.html"), std::string::npos);
}

}  // namespace
}  // namespace kangyun::http
