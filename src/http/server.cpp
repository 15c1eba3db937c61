#include "http/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <thread>
#include <vector>

#include "base/log.h"
#include "http/rate_limiter.h"
#include "http/session.h"

namespace kangyun::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string PeerAddress(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  return ec ? "" : peer.address().to_string();
}

}  // namespace

class Server::Impl {
 public:
  Impl(api::FhirApi& api, ServerConfig config, auth::AuthServer* auth)
      : api_(api),
        auth_(auth),
        config_(std::move(config)),
        ioc_(config_.threads),
        acceptor_(ioc_),
        signals_(ioc_, SIGINT, SIGTERM),
        per_address_(config_.max_connections_per_address) {
    if (config_.rate_limit > 0)
      limiter_ = std::make_unique<RateLimiter>(config_.rate_limit, 2 * config_.rate_limit);
  }

  Status Run() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.host, ec);
    if (ec) return Invalid("Invalid host '" + config_.host + "'");
    if (!config_.tls_certificate.empty() || !config_.tls_key.empty()) {
      // TLS 1.2 and 1.3 only, with OpenSSL's default ciphers for them.
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                        ec);
      if (!ec) tls_->use_certificate_chain_file(config_.tls_certificate, ec);
      if (!ec) tls_->use_private_key_file(config_.tls_key, asio::ssl::context::pem, ec);
      if (ec)
        return Invalid("cannot use the TLS certificate " + config_.tls_certificate + " and key " +
                       config_.tls_key + ": " + ec.message());
    }
    tcp::endpoint endpoint{address, static_cast<unsigned short>(config_.port)};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Internal("cannot listen on " + config_.host + ":" + std::to_string(config_.port) +
                      ": " + ec.message());
    signals_.async_wait([this](boost::system::error_code, int sig) {
      Log(LogLevel::kInfo, "signal " + std::to_string(sig) + ": shutting down");
      Stop();
    });
    Accept();
    Log(LogLevel::kInfo, std::string("serving FHIR R4 at ") + (tls_ ? "https" : "http") + "://" +
                             config_.host + ":" +
                             std::to_string(acceptor_.local_endpoint().port()) + "/fhir");
    std::vector<std::thread> threads;
    for (int i = 1; i < config_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
    Log(LogLevel::kInfo, "stopped");
    return Status::Ok();
  }

  void Stop() {
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      signals_.cancel(ec);
      ioc_.stop();
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](boost::system::error_code ec,
                                                           tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        std::string address = PeerAddress(socket);
        if (connections_.load() >= config_.max_connections || !per_address_.Open(address)) {
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          ++connections_;
          SessionContext context{api_, config_, connections_, auth_, limiter_.get(), per_address_};
          if (tls_) {
            StartTlsSession(context, std::move(address), std::move(socket), *tls_);
          } else {
            StartPlainSession(context, std::move(address), std::move(socket));
          }
        }
      }
      Accept();
    });
  }

  api::FhirApi& api_;
  auth::AuthServer* auth_;
  ServerConfig config_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  std::atomic<int> connections_{0};
  ConnectionCounter per_address_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<asio::ssl::context> tls_;  // set when serving HTTPS
};

Server::Server(api::FhirApi& api, ServerConfig config, auth::AuthServer* auth)
    : impl_(std::make_unique<Impl>(api, std::move(config), auth)) {}
Server::~Server() = default;
Status Server::Run() { return impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace kangyun::http
