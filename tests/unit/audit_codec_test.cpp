// The audit log's form of a record: what is stored decodes to the record, a read is short, and
// the seal changes with anything the rows or their agents say.
#include "audit/audit_codec.h"

#include <gtest/gtest.h>

namespace kangyun::audit {
namespace {

AuditRecord FullRecord() {
  AuditRecord r;
  r.subtype = "search-type";
  r.action = 'E';
  r.outcome = 4;
  r.outcome_text = "HTTP 404";
  r.recorded = 1'796'593'299'743'143;
  r.who_reference = "Practitioner/dr-li";
  r.who_subject = "user/li \"the doctor\"";
  r.who_display = "李医生";
  r.role = "clinician";
  r.organization = "hosp-a";
  r.client_id = "his-1";
  r.address = "10.0.0.7";
  r.purpose = "BTG";
  r.break_glass_reason = "unconscious, no relatives";
  r.patients = {"p1", "p2"};
  r.resources = {"Observation/o1", "Observation/o2"};
  r.query = "GET Observation?patient=p1,p2";
  return r;
}

TEST(AuditCodec, WhatIsStoredDecodesToTheRecord) {
  AuditRecord r = FullRecord();
  store::AuditAgent agent = AgentOf(r);
  EXPECT_EQ(agent.reference, "Practitioner/dr-li");
  EXPECT_EQ(agent.subject, "user/li \"the doctor\"");
  EXPECT_EQ(agent.address, "10.0.0.7");
  store::AuditRow row;
  row.seq = 7;
  row.recorded = r.recorded;
  row.body = BodyOf(r);
  auto back = Decode(agent.text, row);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->subtype, r.subtype);
  EXPECT_EQ(back->action, 'E');
  EXPECT_EQ(back->outcome, 4);
  EXPECT_EQ(back->outcome_text, r.outcome_text);
  EXPECT_EQ(back->recorded, r.recorded);
  EXPECT_EQ(back->who_reference, r.who_reference);
  EXPECT_EQ(back->who_subject, r.who_subject);
  EXPECT_EQ(back->who_display, r.who_display);
  EXPECT_EQ(back->role, r.role);
  EXPECT_EQ(back->organization, r.organization);
  EXPECT_EQ(back->client_id, r.client_id);
  EXPECT_EQ(back->address, r.address);
  EXPECT_EQ(back->purpose, "BTG");
  EXPECT_EQ(back->break_glass_reason, r.break_glass_reason);
  EXPECT_EQ(back->patients, r.patients);
  EXPECT_EQ(back->resources, r.resources);
  EXPECT_EQ(back->query, r.query);
}

TEST(AuditCodec, AReadIsStoredShortAndWhole) {
  AuditRecord r;
  r.subtype = "read";
  r.action = 'R';
  r.who_subject = "anonymous";
  r.patients = {"pat-2684"};
  r.resources = {"Patient/pat-2684"};
  r.query = "GET Patient/pat-2684";
  std::string body = BodyOf(r);
  EXPECT_LT(body.size(), 70u) << body;
  EXPECT_EQ(body.find("GET"), std::string::npos) << "the query repeats the resource: " << body;
  store::AuditRow row;
  row.body = body;
  auto back = Decode(AgentOf(r).text, row);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->query, "GET Patient/pat-2684");
  EXPECT_EQ(back->purpose, "TREAT");
  EXPECT_EQ(back->outcome, 0);
  // A read with a query of its own keeps it.
  r.query = "GET Patient/pat-2684?_elements=name";
  row.body = BodyOf(r);
  EXPECT_EQ(Decode(AgentOf(r).text, row)->query, r.query);
}

TEST(AuditCodec, TheSealChangesWithAnythingTheRowsSay) {
  AuditRecord r = FullRecord();
  std::string agent = AgentOf(r).text;
  std::vector<store::AuditRow> rows(2);
  for (int i = 0; i < 2; ++i) {
    rows[i].seq = 10 + i;
    rows[i].recorded = r.recorded + i;
    rows[i].body = BodyOf(r);
  }
  std::vector<const std::string*> texts = {&agent, &agent};
  std::string previous(64, '0');
  std::string seal = SealHash(previous, rows, texts);
  EXPECT_EQ(seal.size(), 64u);
  EXPECT_EQ(SealHash(previous, rows, texts), seal);
  EXPECT_NE(SealHash(std::string(64, '1'), rows, texts), seal);
  auto changed = [&](auto change) {
    auto copy = rows;
    std::string other_agent = agent;
    std::vector<const std::string*> t = {&agent, &other_agent};
    change(&copy, &other_agent);
    return SealHash(previous, copy, t);
  };
  EXPECT_NE(changed([](auto* c, auto*) { (*c)[1].seq = 12; }), seal);
  EXPECT_NE(changed([](auto* c, auto*) { (*c)[0].recorded += 1; }), seal);
  EXPECT_NE(changed([](auto* c, auto*) { (*c)[1].body[3] = 'x'; }), seal);
  EXPECT_NE(changed([](auto*, std::string* a) { (*a)[2] = 'x'; }), seal);
}

TEST(AuditCodec, AgentKeysArePositiveAndStable) {
  std::string a = AgentOf(FullRecord()).text;
  EXPECT_GT(AgentKey(a), 0);
  EXPECT_EQ(AgentKey(a), AgentKey(a));
  EXPECT_NE(AgentKey(a), AgentKey(a + " "));
}

}  // namespace
}  // namespace kangyun::audit
