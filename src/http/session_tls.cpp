// TLS connections: the session templates instantiated for an SSL stream over TCP.
#include "http/session_impl.h"

namespace kangyun::http {

void StartTlsSession(const SessionContext& context, std::string address,
                     boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls) {
  using session_detail::Session;
  using session_detail::TlsStream;
  std::make_shared<Session<TlsStream>>(context, std::move(address), std::move(socket), tls)
      ->Start();
}

}  // namespace kangyun::http
