// HTTPS: given a certificate and key, the server speaks TLS 1.2 or 1.3 only, tells browsers to
// keep to it (HSTS), and refuses plain HTTP on that port; a bad certificate file is a clear
// start-up error. The certificate is made for the test with the openssl command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

namespace fs = std::filesystem;

std::string Shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  return out;
}

TEST(Tls, ServesHttpsOnlyWithModernTls) {
  fs::path dir = fs::temp_directory_path() / ("kangyun-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  Shell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
      "/CN=127.0.0.1 -days 1 -keyout " +
      key + " -out " + cert);
  ASSERT_TRUE(fs::exists(cert) && fs::exists(key));
  ServerProcess server(KANGYUN_BINARY, (dir / "tls.db").string(),
                       {"--tls-cert", cert, "--tls-key", key});
  ASSERT_TRUE(server.ok());
  std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  std::string headers = Shell("curl -sk -D - -o /dev/null " + url + "/fhir/metadata");
  EXPECT_NE(headers.find("HTTP/1.1 200"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Strict-Transport-Security: max-age=31536000"), std::string::npos)
      << headers;
  // Links name the scheme the client used.
  std::string body = Shell("curl -sk '" + url + "/fhir/Patient?_count=1'");
  EXPECT_NE(body.find("\"url\":\"https://127.0.0.1"), std::string::npos) << body;
  // Old protocols and plain HTTP get no answer.
  EXPECT_EQ(Shell("curl -sk --tlsv1.1 --tls-max 1.1 -o /dev/null -w '%{http_code}' " + url +
                  "/fhir/metadata"),
            "000");
  EXPECT_EQ(HttpCall("127.0.0.1", server.port(), "GET", "/fhir/metadata", {}, "", 3).status, 0);
  // A server given a key that is not there does not start, and says why.
  CommandOutput bad =
      RunKangyun(KANGYUN_BINARY, "serve --db sqlite:" + (dir / "bad.db").string() + " --port " +
                                     std::to_string(FreePort()) + " --tls-cert " + cert +
                                     " --tls-key " + (dir / "missing.pem").string());
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.text.find("cannot use the TLS certificate"), std::string::npos) << bad.text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kangyun::testing
