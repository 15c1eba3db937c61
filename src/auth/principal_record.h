// A principal kept in the store, for work done in its name after its request has ended (a
// subscription's events are filtered for its maker; a background export reads as its
// requester): who it is and what its token allowed, not the token itself.
#pragma once

#include "auth/principal.h"
#include "base/status.h"
#include "json/value.h"

namespace kangyun::auth {

json::Value PrincipalRecord(const Principal& p);
// kInvalid when the record is not one PrincipalRecord made.
Result<Principal> PrincipalFromRecord(const json::Value& record);

}  // namespace kangyun::auth
