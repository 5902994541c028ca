// TLS for the front end: one OpenSSL server context made from --tls-cert/--tls-key, refusing weak
// settings, and the per-connection sessions that read and write through it (non-blocking).
#pragma once

#include <memory>
#include <string>

#include "fenlei/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace fenlei::server {

// Immutable once made; shared by every connection accepted while it is current.
class TlsContext {
 public:
  // TLS 1.2 and 1.3 only, forward-secret AEAD ciphers only (AES-128-GCM preferred, ChaCha20 for
  // clients that prefer it), no compression, no renegotiation, no stateless session tickets
  // (resumption through a server-side cache), read-ahead, kernel TLS where available.
  // INVALID_ARGUMENT (naming the file) for an unreadable or mismatched certificate/key, an RSA key
  // under 2048 bits, an EC key under 256 bits, a SHA-1/MD5 signature, or an expired certificate.
  static StatusOr<std::shared_ptr<const TlsContext>> load(const std::string& cert_file,
                                                          const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server session on the (non-blocking) socket `fd`; nullptr on failure.
  SSL* new_session(int fd) const;

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// Results of one read or write attempt on a session.
enum class TlsIo { kDone, kWantRead, kWantWrite, kClosed, kError };
// Reads up to `n` bytes; *got is set on kDone.
TlsIo tls_read(SSL* ssl, char* buf, size_t n, size_t* got);
// Writes up to `n` bytes; *put is set on kDone.
TlsIo tls_write(SSL* ssl, const char* data, size_t n, size_t* put);
// Bytes already read from the socket (decrypted or not) that epoll cannot report.
bool tls_has_pending(SSL* ssl);
// Sends close_notify (best effort) and frees the session.
void tls_close(SSL* ssl, bool notify);

}  // namespace fenlei::server
