// The connections of the HTTP server, as templates over their stream (plain TCP or TLS):
// included only by session_plain.cpp and session_tls.cpp, so that Boost.Beast's HTTP and
// websocket templates are instantiated once for each stream, in two files compiled side by
// side. Internal to http/.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/outcome.h"
#include "base/log.h"
#include "base/strings.h"
#include "http/session.h"

namespace kangyun::http::session_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

inline constexpr std::string_view kFhirBase = "/fhir";
inline constexpr std::string_view kFhirPrefix = "/fhir/";

template <class Body>
void AddCommonHeaders(bhttp::response<Body>& res) {
  res.set(bhttp::field::server, "Kangyun");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  res.set(bhttp::field::cache_control, "no-store");
}

inline bhttp::response<bhttp::string_body> ErrorMessage(int status, const Status& st,
                                                        unsigned version) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
  AddCommonHeaders(res);
  res.set(bhttp::field::content_type, "application/fhir+json; charset=utf-8");
  res.body() = api::OperationOutcomeFor(st);
  res.prepare_payload();
  return res;
}

inline bhttp::response<bhttp::string_body> TextMessage(
    int status, unsigned version, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string body) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), version};
  AddCommonHeaders(res);
  for (const auto& [k, v] : headers) res.set(k, v);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// The audit record of a request refused before it reached the API (no valid token).
inline audit::AuditRecord RefusedRecord(const std::string& method, const std::string& path,
                                        const std::string& address, const std::string& why) {
  audit::AuditRecord r;
  r.subtype = "operation";
  r.action = 'E';
  r.outcome = 4;
  r.outcome_text = "HTTP 401: " + why;
  r.recorded = 0;
  r.who_subject = "unauthenticated";
  r.address = address;
  r.query = method + " " + path;
  return r;
}

inline int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The request target in origin form (/fhir/Patient?x=1): a target in absolute form
// (http://host:port/fhir/Patient?x=1), which RFC 9112 says a server must accept and clients
// send when they follow a full URL, loses its scheme and authority.
inline std::string OriginForm(std::string_view target) {
  if (!StartsWith(target, "http://") && !StartsWith(target, "https://")) return std::string(target);
  size_t authority = target.find("://") + 3;
  size_t path = target.find_first_of("/?", authority);
  if (path == std::string_view::npos) return "/";
  std::string out(target.substr(path));
  return out[0] == '?' ? "/" + out : out;
}

// A connection upgraded to a websocket (a subscription's channel): text messages both ways,
// handed to what a service registered for the path (api/service.h: StreamEndpoint). Messages
// are sent from other threads through Send, which queues them on the connection's strand.
template <class Stream>
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession<Stream>>,
                         public api::MessageStream {
 public:
  explicit WebSocketSession(Stream&& stream) : ws_(std::move(stream)) {}

  void Accept(const bhttp::request<bhttp::string_body>& req, api::FhirApi& api, std::string path) {
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(64 * 1024);
    ws_.async_accept(
        req, [self = this->shared_from_this(), &api, path = std::move(path)](beast::error_code ec) {
          if (ec) return;
          self->handler_ = api.OpenStream(path, self);
          if (!self->handler_) return self->Close();
          self->Read();
        });
  }

  bool Send(std::string text) override {
    if (closed_) return false;
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), text = std::move(text)]() mutable {
                 self->out_.push_back(std::move(text));
                 if (self->out_.size() == 1) self->Write();
               });
    return true;
  }

  void Close() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      if (self->closed_) return;
      self->ws_.async_close(websocket::close_code::normal,
                            [self](beast::error_code) { self->Closed(); });
    });
  }

 private:
  void Read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Closed();
      std::string text = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      if (self->handler_) self->handler_->OnMessage(text);
      self->Read();
    });
  }

  void Write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      if (ec) return self->Closed();
                      self->out_.pop_front();
                      if (!self->out_.empty()) self->Write();
                    });
  }

  // Once: the service lets go of the stream, which breaks the cycle between the two.
  void Closed() {
    if (closed_.exchange(true)) return;
    if (handler_) handler_->OnClose();
    handler_.reset();
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer in_;
  std::deque<std::string> out_;
  std::atomic<bool> closed_{false};
  std::shared_ptr<api::StreamHandler> handler_;
};

// One connection: plain TCP (Stream = beast::tcp_stream) or TLS (TlsStream).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <class... StreamArgs>
  Session(const SessionContext& shared, std::string address, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        api_(shared.api),
        config_(shared.config),
        connections_(shared.connections),
        auth_(shared.auth),
        limiter_(shared.limiter),
        per_address_(shared.per_address),
        address_(std::move(address)) {}
  ~Session() {
    --connections_;
    per_address_.Close(address_);
  }

  void Start() {
    if constexpr (kTls) {
      // A client that never completes the handshake is closed like a slow one.
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::seconds(config_.read_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->CloseSocket();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(config_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(config_.header_limit));
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::seconds(config_.read_timeout_seconds));
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      // The rest of the body is still coming: read and dropped before closing, so that a
      // client that sends it all before reading sees the 413, not a reset connection.
      linger_ = true;
      Send(ErrorMessage(
               413,
               Status(StatusCode::kTooLarge, "The request body is larger than " +
                                                 std::to_string(config_.body_limit) + " bytes"),
               11),
           false);
      return;
    }
    if (ec == bhttp::error::header_limit) {
      Send(ErrorMessage(431, Status(StatusCode::kInvalid, "Request headers are too large"), 11),
           false);
      return;
    }
    if (ec) {
      Send(ErrorMessage(400, Invalid("Malformed HTTP request: " + ec.message()), 11), false);
      return;
    }
    auto req = parser_->release();
    if (websocket::is_upgrade(req)) {
      // A subscription's websocket: the connection becomes the stream's.
      std::string target = OriginForm(req.target());
      std::string path = target.substr(0, target.find('?'));
      std::string below = path.starts_with("/fhir/") ? path.substr(6) : "";
      if (api_.ServesStream(below)) {
        std::make_shared<WebSocketSession<Stream>>(std::move(stream_))->Accept(req, api_, below);
        return;
      }
    }
    bool keep_alive = req.keep_alive();
    bhttp::response<bhttp::string_body> res;
    try {
      res = Handle(req);
    } catch (const std::exception& e) {
      // Nothing thrown may take the server down; the client gets a plain 500.
      Log(LogLevel::kError, std::string("request failed: ") + e.what());
      res = ErrorMessage(500, Internal(e.what()), req.version());
      keep_alive = false;
    }
    if (pending_file_) {
      bhttp::response<bhttp::file_body> file = std::move(*pending_file_);
      pending_file_.reset();
      Send(std::move(file), keep_alive);
      return;
    }
    Send(std::move(res), keep_alive);
  }

  bhttp::response<bhttp::string_body> Handle(const bhttp::request<bhttp::string_body>& req) {
    std::string target = OriginForm(req.target());
    std::string path = target.substr(0, target.find('?'));
    std::string query =
        target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    unsigned version = req.version();
    if (path == "/healthz") {
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, version};
      AddCommonHeaders(res);
      res.set(bhttp::field::content_type, "text/plain");
      res.body() = "ok\n";
      res.prepare_payload();
      return res;
    }
    if (config_.portal && req.method() == bhttp::verb::get && path != kFhirBase &&
        !StartsWith(path, kFhirPrefix) && !StartsWith(path, "/auth/")) {
      std::string_view encodings = req[bhttp::field::accept_encoding];
      if (auto file = config_.portal->Get(path, encodings.find("gzip") != std::string_view::npos))
        return TextMessage(file->status, version, file->headers, std::move(file->body));
    }
    if (path == "/" || path.empty()) {
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, version};
      AddCommonHeaders(res);
      res.set(bhttp::field::content_type, "application/json; charset=utf-8");
      res.body() =
          "{\"name\":\"Kangyun (康云) regional health cloud\",\"fhir\":\"/fhir\","
          "\"metadata\":\"/fhir/metadata\"}";
      res.prepare_payload();
      return res;
    }
    if (StartsWith(path, "/auth/")) {
      // Logins and token requests: a client is its network address.
      if (auto limited = Limited("address/" + address_, path); limited) return std::move(*limited);
      if (!auth_)
        return ErrorMessage(404, NotFound("This server runs without authentication"), version);
      auth::AuthHttpRequest ar;
      ar.method = std::string(req.method_string());
      ar.path = path;
      ar.query = query;
      ar.body = req.body();
      ar.content_type = std::string(req[bhttp::field::content_type]);
      ar.address = address_;
      ar.authorization = std::string(req[bhttp::field::authorization]);
      auth::AuthHttpResponse out = auth_->Handle(ar);
      return TextMessage(out.status, version, out.headers, std::move(out.body));
    }
    if (path == std::string(kFhirBase) + "/.well-known/smart-configuration") {
      if (!auth_)
        return ErrorMessage(404, NotFound("This server runs without authentication"), version);
      return TextMessage(200, version, {{"Content-Type", "application/json"}},
                         auth_->SmartConfiguration());
    }
    if (path != kFhirBase && !StartsWith(path, kFhirPrefix)) {
      return ErrorMessage(404, NotFound("Nothing at " + path + "; the FHIR API is at /fhir"),
                          version);
    }
    api::FhirRequest fr;
    fr.method = std::string(req.method_string());
    fr.path = PercentDecode(path.substr(std::min(path.size(), kFhirBase.size() + 1)), false);
    fr.raw_query = query;
    fr.query = search::ParseQueryString(query);
    for (const auto& field : req)
      fr.headers[AsciiLower(field.name_string())] = std::string(field.value());
    fr.body = req.body();
    // Everything but the CapabilityStatement needs a valid access token.
    if (auth_ && !(fr.path == "metadata" && req.method() == bhttp::verb::get)) {
      auto principal = auth_->Authenticate(req[bhttp::field::authorization]);
      if (!principal.ok()) {
        // Refusals are limited by address too: each is written to the audit trail.
        if (auto limited = Limited("address/" + address_, path); limited)
          return std::move(*limited);
        (void)api_.Audit(RefusedRecord(fr.method, path, address_, principal.status().message()));
        auto res = ErrorMessage(401, principal.status(), version);
        res.set(bhttp::field::www_authenticate,
                "Bearer realm=\"kangyun\", error=\"invalid_token\"");
        return res;
      }
      principal->address = address_;
      // An emergency override states its reason (docs/security.md, break-glass). A header
      // carries only Latin-1, so a reason in Chinese comes percent-encoded as UTF-8.
      if (std::string_view reason = Trim(req["X-Break-Glass"]); !reason.empty()) {
        std::string decoded = PercentDecode(reason, /*plus_is_space=*/false);
        principal->break_glass =
            (IsValidUtf8(decoded) ? decoded : std::string(reason)).substr(0, 500);
        principal->purpose = "BTG";
      }
      fr.principal = std::make_shared<const auth::Principal>(std::move(principal).value());
    }
    // A client is its token's subject, or its address on a server without authentication.
    if (auto limited = Limited(fr.principal ? fr.principal->subject : "address/" + address_, path);
        limited)
      return std::move(*limited);
    if (!config_.public_base_url.empty()) {
      fr.base_url = config_.public_base_url;
    } else {
      std::string host(req[bhttp::field::host]);
      fr.base_url = std::string(kTls ? "https://" : "http://") +
                    (HostAllowed(host) ? host : config_.host + ":" + std::to_string(config_.port)) +
                    std::string(kFhirBase);
    }
    api::FhirResponse out = api_.Handle(fr);
    if (!out.file_path.empty()) {
      auto instead = PrepareFile(out, version, req.method() == bhttp::verb::head);
      return instead ? std::move(*instead) : bhttp::response<bhttp::string_body>{};
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), version};
    AddCommonHeaders(res);
    if (!out.body.empty()) {
      res.set(bhttp::field::content_type, "application/fhir+json; charset=utf-8");
      if (req.method() != bhttp::verb::head) res.body() = std::move(out.body);
    }
    for (const auto& [k, v] : out.headers) res.set(k, v);  // may say another Content-Type
    res.prepare_payload();
    return res;
  }

  // Whether a Host header names this server (its name, without the port, is allowed).
  bool HostAllowed(std::string_view host) const {
    if (host.empty() || host.size() > 255) return false;
    std::string_view name = host;
    if (name.front() == '[') {
      name = name.substr(0, name.find(']') == std::string_view::npos ? 0 : name.find(']') + 1);
    } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
      name = name.substr(0, colon);
    }
    std::string_view port = host.substr(name.size());
    if (!port.empty() && (port[0] != ':' || port.size() == 1 ||
                          port.find_first_not_of("0123456789", 1) != std::string_view::npos))
      return false;
    std::string lower = AsciiLower(name);
    if (lower == AsciiLower(config_.host) || lower == "localhost" || lower == "127.0.0.1" ||
        lower == "[::1]")
      return true;
    for (const std::string& allowed : config_.allowed_hosts)
      if (lower == AsciiLower(allowed)) return true;
    return false;
  }

  // 429 with Retry-After when key has used up its requests; the health check is never limited.
  std::optional<bhttp::response<bhttp::string_body>> Limited(const std::string& key,
                                                             const std::string& path) {
    if (!limiter_ || path == "/healthz") return std::nullopt;
    std::optional<int> wait = limiter_->Take(key, SteadyMicros());
    if (!wait) return std::nullopt;
    auto res = ErrorMessage(
        429,
        Status(StatusCode::kTooManyRequests,
               "Too many requests from this client; try again in " + std::to_string(*wait) + " s"),
        11);
    res.set(bhttp::field::retry_after, std::to_string(*wait));
    return res;
  }

  // A response whose body is a file, read from disk as the socket takes it: an export file of
  // any size goes out in constant memory. It waits in pending_file_; the response to send
  // instead comes back for HEAD or when the file cannot be opened.
  std::optional<bhttp::response<bhttp::string_body>> PrepareFile(const api::FhirResponse& out,
                                                                 unsigned version, bool head) {
    bhttp::response<bhttp::file_body> res{static_cast<bhttp::status>(out.status), version};
    beast::error_code ec;
    res.body().open(out.file_path.c_str(), beast::file_mode::scan, ec);
    if (ec) return ErrorMessage(404, NotFound("The file is gone"), version);
    AddCommonHeaders(res);
    for (const auto& [k, v] : out.headers) res.set(k, v);
    res.prepare_payload();
    if (head) {
      bhttp::response<bhttp::string_body> empty{res.result(), version};
      for (const auto& field : res) empty.set(field.name_string(), field.value());
      return empty;
    }
    pending_file_ = std::move(res);
    return std::nullopt;
  }

  // Writing a file takes as long as the client reads; the read timeout is not its limit.
  static constexpr int kFileWriteTimeoutSeconds = 3600;

  template <class Body>
  void Send(bhttp::response<Body> res, bool keep_alive) {
    res.keep_alive(keep_alive);
    // Browsers that reached the server over TLS keep to it.
    if constexpr (kTls) res.set(bhttp::field::strict_transport_security, "max-age=31536000");
    auto sp = std::make_shared<bhttp::response<Body>>(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(
        std::is_same_v<Body, bhttp::file_body> ? kFileWriteTimeoutSeconds
                                               : config_.read_timeout_seconds));
    bhttp::async_write(
        stream_, *sp,
        [self = this->shared_from_this(), sp, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            self->Close();
            return;
          }
          self->Read();
        });
  }

  void Close() {
    if (linger_ && !kTls) return Linger();
    if constexpr (kTls) {
      // TLS ends with close_notify, then the socket.
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
    } else {
      CloseSocket();
    }
  }

  // A lingering close, as nginx makes one: stop sending, then read and drop what the client
  // still sends, for a few seconds and a few megabytes at most, then close.
  static constexpr int kLingerSeconds = 5;
  static constexpr size_t kLingerBytes = 64 << 20;
  void Linger() {
    beast::error_code ec;
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest.expires_after(std::chrono::seconds(kLingerSeconds));
    drain_ = std::make_unique<char[]>(kDrainChunk);
    DrainSome(0);
  }
  static constexpr size_t kDrainChunk = 64 << 10;
  void DrainSome(size_t drained) {
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(drain_.get(), kDrainChunk),
        [self = this->shared_from_this(), drained](beast::error_code ec, std::size_t n) {
          if (ec || drained + n > kLingerBytes) return self->CloseSocket();
          self->DrainSome(drained + n);
        });
  }

  void CloseSocket() {
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::file_body>> pending_file_;
  bool linger_ = false;            // close by Linger(): the request was not read to its end
  std::unique_ptr<char[]> drain_;  // where Linger() drops what it reads
  api::FhirApi& api_;
  const ServerConfig& config_;
  std::atomic<int>& connections_;
  auth::AuthServer* auth_;
  RateLimiter* limiter_;
  ConnectionCounter& per_address_;
  std::string address_;
};

}  // namespace kangyun::http::session_detail
