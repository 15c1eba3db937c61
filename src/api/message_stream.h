// Message streams a client keeps open with the server (websockets), between the HTTP layer that
// holds them and the services that use them (api/service.h: StreamEndpoint).
#pragma once

#include <string>

namespace kangyun::api {

// A stream of text messages a client keeps open with the server (a websocket), as the HTTP
// layer offers it to what the services register (api/service.h: StreamEndpoint).
class MessageStream {
 public:
  virtual ~MessageStream() = default;
  // Queues a text message for the client; false once the stream is closed.
  virtual bool Send(std::string text) = 0;
  virtual void Close() = 0;
};
// What a service does with a stream's incoming messages, until it closes.
class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void OnMessage(const std::string& text) = 0;
  virtual void OnClose() = 0;
};

}  // namespace kangyun::api
