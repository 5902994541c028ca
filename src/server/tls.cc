#include "server/tls.h"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace fenlei::server {
namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Refuses keys, signatures and dates that should not protect a server in 2026.
Status check_strength(SSL_CTX* ctx, const std::string& cert_file) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx);
  if (!cert || !key) return invalid_argument_error(cert_file + ": no certificate or key loaded");
  const int bits = EVP_PKEY_get_bits(key);
  const int type = EVP_PKEY_get_base_id(key);
  if ((type == EVP_PKEY_RSA || type == EVP_PKEY_DSA) && bits < 2048) {
    return invalid_argument_error(cert_file + ": a " + std::to_string(bits) +
                                  "-bit RSA/DSA key is too weak; use 2048 bits or more, or EC P-256");
  }
  if (type == EVP_PKEY_EC && bits < 256) {
    return invalid_argument_error(cert_file + ": a " + std::to_string(bits) +
                                  "-bit EC key is too weak; use P-256 or larger");
  }
  const int signature = X509_get_signature_nid(cert);
  if (signature == NID_sha1WithRSAEncryption || signature == NID_md5WithRSAEncryption ||
      signature == NID_ecdsa_with_SHA1 || signature == NID_dsaWithSHA1) {
    return invalid_argument_error(cert_file + ": the certificate is signed with SHA-1 or MD5; "
                                  "reissue it with SHA-256");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    return invalid_argument_error(cert_file + ": the certificate has expired");
  }
  return Status();
}

}  // namespace

StatusOr<std::shared_ptr<const TlsContext>> TlsContext::load(const std::string& cert_file,
                                                             const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return internal_error("SSL_CTX_new: " + openssl_error());
  auto owned = std::shared_ptr<const TlsContext>(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Level 2 (112-bit security: RSA >= 2048, no SHA-1 signatures) whatever the system's default.
  SSL_CTX_set_security_level(ctx, 2);
  // No stateless session tickets: whoever gets the ticket key can decrypt every session it
  // resumed. Resumption still works through the server's own session cache (session IDs in
  // TLS 1.2, stateful tickets in TLS 1.3), which costs a reconnecting client the key exchange.
  uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                     SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
                     // ChaCha20 first for clients that list it first (phones without AES
                     // instructions); AES-GCM, hardware-accelerated here, for everyone else.
                     SSL_OP_PRIORITIZE_CHACHA;
#ifdef SSL_OP_ENABLE_KTLS
  // Record encryption in the kernel when it has the tls module (and OpenSSL was built for it);
  // otherwise OpenSSL quietly stays in user space.
  options |= SSL_OP_ENABLE_KTLS;
#endif
  SSL_CTX_set_options(ctx, options);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, 4096);
  SSL_CTX_set_timeout(ctx, 300);
  static const unsigned char kSessionContext[] = "fenlei-serve";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_num_tickets(ctx, 1);  // one resumption ticket per handshake (OpenSSL sends 2)
  // AES-128-GCM first: 10 AES rounds instead of 14, and ample for this use.
  if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
                                    "TLS_AES_256_GCM_SHA384") != 1) {
    return internal_error("TLS 1.3 cipher suites: " + openssl_error());
  }
  // TLS 1.2: forward-secret AEAD suites only.
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM+AES128:ECDHE+CHACHA20:ECDHE+AESGCM:"
                                   "!aNULL:!eNULL") != 1) {
    return internal_error("cipher list: " + openssl_error());
  }
  // Read ahead: one recv() takes whole records (and the next ones) instead of a 5-byte header
  // and then the record; the front end checks SSL_has_pending() for what epoll cannot see.
  SSL_CTX_set_read_ahead(ctx, 1);
  // Not SSL_MODE_RELEASE_BUFFERS: freeing and reallocating the record buffers around every
  // keep-alive request costs throughput; ~34 KB per idle TLS connection is the price.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return invalid_argument_error("cannot use the certificate " + cert_file + ": " +
                                  openssl_error() + "; check --tls-cert (PEM)");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return invalid_argument_error("cannot use the key " + key_file + ": " + openssl_error() +
                                  "; check --tls-key (PEM, unencrypted)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return invalid_argument_error(key_file + " is not the key of " + cert_file);
  }
  FENLEI_RETURN_IF_ERROR(check_strength(ctx, cert_file));
  return owned;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::new_session(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

namespace {
TlsIo classify(SSL* ssl, int result) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ: return TlsIo::kWantRead;
    case SSL_ERROR_WANT_WRITE: return TlsIo::kWantWrite;
    case SSL_ERROR_ZERO_RETURN: return TlsIo::kClosed;
    default:
      ERR_clear_error();
      return TlsIo::kError;
  }
}
}  // namespace

TlsIo tls_read(SSL* ssl, char* buf, size_t n, size_t* got) {
  const int r = SSL_read(ssl, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
  if (r > 0) {
    *got = static_cast<size_t>(r);
    return TlsIo::kDone;
  }
  return classify(ssl, r);
}

TlsIo tls_write(SSL* ssl, const char* data, size_t n, size_t* put) {
  const int r = SSL_write(ssl, data, static_cast<int>(std::min<size_t>(n, 1 << 30)));
  if (r > 0) {
    *put = static_cast<size_t>(r);
    return TlsIo::kDone;
  }
  return classify(ssl, r);
}

bool tls_has_pending(SSL* ssl) { return ssl && SSL_has_pending(ssl) == 1; }

void tls_close(SSL* ssl, bool notify) {
  if (!ssl) return;
  if (notify) SSL_shutdown(ssl);
  // OpenSSL drops a session from the resumption cache when it is freed without a shutdown, which
  // is how most clients leave (they just close). An established session that no error ended
  // (OpenSSL removes those itself, at the fatal alert) stays resumable.
  if (SSL_is_init_finished(ssl)) SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace fenlei::server
