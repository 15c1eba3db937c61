// The administrators' account API: the people (users) and systems (clients) that may obtain
// tokens, managed over HTTP with an administrator's access token, so that the portal's
// administration screen and any operator's tool do the same thing under the same audit:
//   GET /auth/admin/users?q=&role=&offset=&count=   {"total":N,"offset":…,"users":[…]}
//   GET /auth/admin/users/NAME                      one user
//   PUT /auth/admin/users/NAME                      creates one (with "password") or changes one
//   GET, PUT /auth/admin/clients[/ID]               the same for clients ("clients":[…])
// A password hash never leaves the server. Accounts are disabled, never deleted: the audit
// trail goes on naming them. Each change is an audit event; a refusal is an OperationOutcome
// that names the offending element. Independent of the HTTP library, like auth_server.h.
#pragma once

#include <functional>

#include "auth/auth_server.h"
#include "auth/principal.h"
#include "store/store.h"

namespace kangyun::auth {

// Answers a request under /auth/admin/ made by `admin` (an authenticated administrator);
// events go to `emit`.
AuthHttpResponse HandleAccountAdmin(store::Store& store, const Principal& admin,
                                    const AuthHttpRequest& req,
                                    const std::function<void(AuthEvent)>& emit);

}  // namespace kangyun::auth
