// The administrators' account API over HTTP (auth/account_admin.h): an administrator creates,
// changes and disables users and clients, and what they did works at once (a new user logs
// in, a disabled one cannot); no one else may; a password hash never leaves the server; bad
// input is an OperationOutcome naming the element; and every change is in the audit trail.
#include <gtest/gtest.h>

#include <fstream>

#include "auth/jwt.h"
#include "base/strings.h"
#include "json/json.h"
#include "tests/support/auth_client.h"
#include "tests/support/http_client.h"

namespace kangyun::testing {
namespace {

class AccountAdmin : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    dir_ = new std::string(ScratchFolder("kangyun-accounts"));
    store_ = new std::string(TestStore(*dir_ + "/accounts.db"));
    auto add = [](const std::string& args) {
      CommandOutput o = RunKangyun(KANGYUN_BINARY, args + " --db " + *store_);
      ASSERT_EQ(o.exit_code, 0) << args << ": " << o.text;
    };
    std::string pw = std::string(" --password ") + kPassword;
    add("user add --username root --role admin" + pw);
    add("user add --username resident1 --role resident --patient p1" + pw);
    add("user add --username doctor-a --role clinician --organization hosp-a" + pw);
    add(std::string("client add --id ") + kApp +
        " --role clinician --organization hosp-a --redirect-uri " + kRedirect);
    server_ = new ServerProcess(KANGYUN_BINARY, *store_, {"--auth"});
    ASSERT_TRUE(server_->ok());
    root_ = new std::string(Login("root"));
  }
  static void TearDownTestSuite() { delete server_; }

  static std::string Login(const std::string& user, const std::string& password = kPassword) {
    return LoginToken(server_->port(), user, password, kApp, kRedirect).access_token;
  }
  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& token = *root_) {
    auto headers = Bearer(token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return HttpCall("127.0.0.1", server_->port(), method, path, headers, body);
  }
  static json::Value Parsed(const HttpResult& r) {
    auto v = json::Parse(r.body);
    EXPECT_TRUE(v.ok()) << r.body;
    return v.ok() ? *v : json::Value::Object();
  }
  // The element an OperationOutcome names.
  static std::string Offending(const HttpResult& r) {
    json::Value oo = Parsed(r);
    EXPECT_EQ(oo.GetString("resourceType"), "OperationOutcome") << r.body;
    const json::Value* issues = oo.Find("issue");
    if (!issues || issues->items().empty()) return "";
    const json::Value* expression = issues->items()[0].Find("expression");
    return expression && !expression->items().empty() ? expression->items()[0].str() : "";
  }

  static std::string* dir_;
  static std::string* store_;
  static std::string* root_;
  static ServerProcess* server_;
};
std::string* AccountAdmin::dir_ = nullptr;
std::string* AccountAdmin::store_ = nullptr;
std::string* AccountAdmin::root_ = nullptr;
ServerProcess* AccountAdmin::server_ = nullptr;

TEST_F(AccountAdmin, AnAdministratorCreatesAUserWhoThenLogsInAndIsDisabledAgain) {
  EXPECT_TRUE(Login("nurse-new").empty());
  HttpResult created = Call("PUT", "/auth/admin/users/nurse-new",
                            R"({"display":"护士 王","role":"clinician","organization":"hosp-a",)"
                            R"("password":"Nurse-pass-2026"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Parsed(created).GetString("organization"), "hosp-a");
  EXPECT_FALSE(Login("nurse-new", "Nurse-pass-2026").empty());

  // A change keeps what the body leaves out, and the password it does not name.
  HttpResult moved = Call("PUT", "/auth/admin/users/nurse-new", R"({"organization":"hosp-b"})");
  ASSERT_EQ(moved.status, 200) << moved.body;
  HttpResult read = Call("GET", "/auth/admin/users/nurse-new");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(Parsed(read).GetString("organization"), "hosp-b");
  EXPECT_EQ(Parsed(read).GetString("display"), "护士 王");
  EXPECT_FALSE(Login("nurse-new", "Nurse-pass-2026").empty());

  ASSERT_EQ(Call("PUT", "/auth/admin/users/nurse-new", R"({"disabled":true})").status, 200);
  EXPECT_TRUE(Login("nurse-new", "Nurse-pass-2026").empty());
  ASSERT_EQ(Call("PUT", "/auth/admin/users/nurse-new",
                 R"({"disabled":false,"password":"Another-pass-2027"})")
                .status,
            200);
  EXPECT_TRUE(Login("nurse-new", "Nurse-pass-2026").empty());
  EXPECT_FALSE(Login("nurse-new", "Another-pass-2027").empty());
}

TEST_F(AccountAdmin, ListsPageAndFilterAndNeverShowAPasswordHash) {
  HttpResult all = Call("GET", "/auth/admin/users?count=2");
  ASSERT_EQ(all.status, 200) << all.body;
  json::Value page = Parsed(all);
  EXPECT_GE(std::stoi(page.Find("total")->str()), 3);
  EXPECT_EQ(page.Find("users")->items().size(), 2u);
  EXPECT_EQ(all.body.find("argon2"), std::string::npos) << all.body;
  EXPECT_EQ(all.body.find("password"), std::string::npos) << all.body;

  json::Value residents = Parsed(Call("GET", "/auth/admin/users?role=resident"));
  ASSERT_EQ(residents.Find("users")->items().size(), 1u);
  EXPECT_EQ(residents.Find("users")->items()[0].GetString("username"), "resident1");
  json::Value found = Parsed(Call("GET", "/auth/admin/users?q=DOCTOR"));
  ASSERT_EQ(found.Find("users")->items().size(), 1u);
  EXPECT_EQ(found.Find("users")->items()[0].GetString("username"), "doctor-a");
  EXPECT_EQ(Call("GET", "/auth/admin/users?role=wizard").status, 400);

  HttpResult clients = Call("GET", "/auth/admin/clients");
  ASSERT_EQ(clients.status, 200) << clients.body;
  EXPECT_NE(clients.body.find(kRedirect), std::string::npos);
  EXPECT_EQ(Call("GET", "/auth/admin/users/nobody").status, 404);
}

TEST_F(AccountAdmin, OnlyAnAdministratorManagesAccounts) {
  std::string resident = Login("resident1");
  std::string doctor = Login("doctor-a");
  ASSERT_FALSE(resident.empty());
  ASSERT_FALSE(doctor.empty());
  for (const std::string& token : {resident, doctor}) {
    EXPECT_EQ(Call("GET", "/auth/admin/users", "", token).status, 403);
    EXPECT_EQ(Call("PUT", "/auth/admin/users/resident1", R"({"role":"admin"})", token).status, 403);
  }
  HttpResult anonymous = HttpCall("127.0.0.1", server_->port(), "GET", "/auth/admin/users", {}, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body.find("resident1"), std::string::npos);
  EXPECT_EQ(Call("GET", "/auth/admin/users", "", "forged.token.here").status, 401);
  // The resident is still a resident.
  EXPECT_EQ(Parsed(Call("GET", "/auth/admin/users/resident1")).GetString("role"), "resident");
  // Accounts are disabled, not deleted.
  EXPECT_EQ(Call("DELETE", "/auth/admin/users/resident1").status, 405);
}

TEST_F(AccountAdmin, BadInputIsRefusedNamingTheElement) {
  struct Case {
    std::string path, body, field;
  };
  const Case cases[] = {
      {"/auth/admin/users/x1", R"({"role":"wizard","password":"Good-pass-2026"})", "role"},
      {"/auth/admin/users/x1", R"({"role":"clinician","password":"Good-pass-2026"})",
       "organization"},
      {"/auth/admin/users/x1", R"({"role":"resident","password":"Good-pass-2026"})", "patient"},
      {"/auth/admin/users/x1", R"({"role":"regulator","password":"short"})", "password"},
      {"/auth/admin/users/x1", R"({"role":"regulator"})", "password"},
      {"/auth/admin/users/x1", R"({"password":"Good-pass-2026"})", "role"},
      {"/auth/admin/users/x1", R"({"role":"regulator","password":"Good-pass-2026","x":1})", "x"},
      {"/auth/admin/users/x1",
       R"({"role":"regulator","password":"Good-pass-2026","disabled":"no"})", "disabled"},
      {"/auth/admin/users/x1", R"({"role":"regulator","scopes":"patient/*.zz"})", "scopes"},
      {"/auth/admin/users/bad%20name", R"({"role":"regulator","password":"Good-pass-2026"})",
       "username"},
      {"/auth/admin/users/x1",
       R"({"username":"x2","role":"regulator","password":"Good-pass-2026"})", "username"},
      {"/auth/admin/clients/c1", R"({"role":"clinician","organization":"hosp-a"})", "publicKey"},
      {"/auth/admin/clients/c1", R"({"role":"resident","redirectUris":["https://a.cn/cb"]})",
       "role"},
      {"/auth/admin/clients/c1", R"j({"role":"admin","redirectUris":["javascript:alert(1)"]})j",
       "redirectUris"},
      {"/auth/admin/clients/c1", R"({"role":"admin","publicKey":"not a key"})", "publicKey"},
  };
  for (const Case& c : cases) {
    HttpResult r = Call("PUT", c.path, c.body);
    EXPECT_EQ(r.status, 400) << c.body << ": " << r.body;
    EXPECT_EQ(Offending(r), c.field) << c.body << ": " << r.body;
  }
  HttpResult not_json = Call("PUT", "/auth/admin/users/x1", "{role:");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(Call("GET", "/auth/admin/users/x1").status, 404) << "nothing refused was saved";
  // An administrator cannot lock themselves out.
  HttpResult self = Call("PUT", "/auth/admin/users/root", R"({"disabled":true})");
  EXPECT_EQ(self.status, 409) << self.body;
  EXPECT_EQ(Offending(self), "disabled");
  EXPECT_EQ(Call("GET", "/fhir/Patient?_summary=count", "", *root_).status, 200);
}

TEST_F(AccountAdmin, AClientIsRegisteredWithItsPublicKeyAndThenGetsTokens) {
  auth::Key key = auth::Key::GenerateEs384();
  json::Value body = json::Value::Object();
  body.Set("name", json::Value::String("HIS of hospital A"));
  body.Set("role", json::Value::String("clinician"));
  body.Set("organization", json::Value::String("hosp-a"));
  body.Set("publicKey", json::Value::String(key.PrivatePem()));
  HttpResult private_key = Call("PUT", "/auth/admin/clients/his-new", json::Write(body));
  EXPECT_EQ(private_key.status, 400) << "a private key is refused: " << private_key.body;
  EXPECT_EQ(Offending(private_key), "publicKey");

  body.Set("publicKey", json::Value::String(key.PublicPem()));
  HttpResult created = Call("PUT", "/auth/admin/clients/his-new", json::Write(body));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Parsed(created).GetString("kind"), "system");
  std::string audience = "http://127.0.0.1:" + std::to_string(server_->port()) + "/auth/token";
  TokenReply token = SystemToken(server_->port(), ClientAssertion(key, "his-new", audience, "j-1"));
  EXPECT_EQ(token.status, 200) << token.body;

  ASSERT_EQ(Call("PUT", "/auth/admin/clients/his-new", R"({"disabled":true})").status, 200);
  TokenReply refused =
      SystemToken(server_->port(), ClientAssertion(key, "his-new", audience, "j-2"));
  EXPECT_EQ(refused.status, 401) << refused.body;
}

TEST_F(AccountAdmin, EveryChangeIsInTheAuditTrail) {
  ASSERT_EQ(Call("PUT", "/auth/admin/users/auditor-new",
                 R"({"role":"regulator","password":"Auditor-pass-2026"})")
                .status,
            201);
  HttpResult trail = Call(
      "GET",
      "/fhir/AuditEvent?subtype=https://kangyun.cn/fhir/CodeSystem/account-change|user-create");
  ASSERT_EQ(trail.status, 200) << trail.body;
  EXPECT_NE(trail.body.find("user auditor-new: role regulator"), std::string::npos) << trail.body;
  EXPECT_NE(trail.body.find("user/root"), std::string::npos) << trail.body;
  EXPECT_EQ(trail.body.find("Auditor-pass-2026"), std::string::npos);
}

}  // namespace
}  // namespace kangyun::testing
