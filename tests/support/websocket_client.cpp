#include "tests/support/websocket_client.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace kangyun::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

struct WebSocketClient::Impl {
  asio::io_context ioc;
  websocket::stream<asio::ip::tcp::socket> ws{ioc};
  bool ok = false;
};

WebSocketClient::WebSocketClient(int port, const std::string& path) : impl_(new Impl) {
  beast::error_code ec;
  asio::ip::tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port));
  impl_->ws.next_layer().connect(at, ec);
  if (ec) return;
  impl_->ws.handshake("127.0.0.1:" + std::to_string(port), path, ec);
  impl_->ok = !ec;
}

WebSocketClient::~WebSocketClient() = default;

bool WebSocketClient::ok() const { return impl_->ok; }

bool WebSocketClient::Send(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text), ec);
  return !ec;
}

std::optional<std::string> WebSocketClient::Receive(int seconds) {
  timeval tv{seconds, 0};
  setsockopt(impl_->ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  beast::flat_buffer buffer;
  beast::error_code ec;
  impl_->ws.read(buffer, ec);
  if (ec) return std::nullopt;
  return beast::buffers_to_string(buffer.data());
}

void WebSocketClient::Close() {
  beast::error_code ec;
  impl_->ws.next_layer().close(ec);  // abruptly, as a client that loses its network
}

}  // namespace kangyun::testing
