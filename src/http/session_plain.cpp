// Plain TCP connections: the session templates instantiated for beast::tcp_stream.
#include "http/session_impl.h"

namespace kangyun::http {

void StartPlainSession(const SessionContext& context, std::string address,
                       boost::asio::ip::tcp::socket socket) {
  using session_detail::Session;
  std::make_shared<Session<boost::beast::tcp_stream>>(context, std::move(address),
                                                      std::move(socket))
      ->Start();
}

}  // namespace kangyun::http
