// The person registry (主索引, docs/registries.md): one identity for each resident across
// institutions. It registers on the seam (api/service.h):
//   - the rules on person identifiers every write passes (valid citizen ID numbers that agree
//     with birth date and sex);
//   - on each Patient written, matching against the registry and linking to the resident's
//     master record when one person is certain, with review Tasks when it is not sure;
//   - on each new Organization, the NamingSystem of its medical record numbers;
//   - Patient/$match, Patient/$ihe-pix (IHE PIXm), and the operators' $link, $unlink, $merge,
//     $unmerge and $distinct;
//   - the search parameters it computes: Patient `match-key` (blocking keys) and pinyin.
#pragma once

#include <memory>
#include <string>

#include "api/service.h"

namespace kangyun::services {

namespace person_registry {
struct Matching;
}

class PersonRegistryService : public api::Service {
 public:
  PersonRegistryService();
  ~PersonRegistryService() override;
  std::string_view name() const override { return "person-registry"; }
  void Register(api::ServiceRegistry& registry) override;
  // Matches with the model in the JSON file at path (`kangyun mpi-estimate --model-out`)
  // instead of the built-in one (before serving). kInvalid, naming the file, if unusable.
  Status UseMatchModel(const std::string& path);

 private:
  std::shared_ptr<person_registry::Matching> matching_;
};

}  // namespace kangyun::services
