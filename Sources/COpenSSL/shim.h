#ifndef ANCHORAGE_COPENSSL_SHIM_H
#define ANCHORAGE_COPENSSL_SHIM_H

#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "Anchorage requires OpenSSL 3.0 or newer"
#endif

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

// MARK: - Macro wrappers (crypto)
// Swift cannot import function-like or composite macros; each one we need is a static inline here.

static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline STACK_OF(X509) *COpenSSL_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int COpenSSL_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline void COpenSSL_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline void COpenSSL_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }

static inline int COpenSSL_sk_GENERAL_NAME_num(const GENERAL_NAMES *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const GENERAL_NAMES *sk, int i) {
    return sk_GENERAL_NAME_value(sk, i);
}
static inline void COpenSSL_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

static inline int COpenSSL_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *sk) { return sk_X509_REVOKED_num(sk); }
static inline X509_REVOKED *COpenSSL_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *sk, int i) {
    return sk_X509_REVOKED_value(sk, i);
}

static inline void COpenSSL_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline unsigned long COpenSSL_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline long COpenSSL_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline int COpenSSL_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int pad) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, pad);
}

/// A private key (with its public half) of one known type (`"EC"`, `"RSA"`) from unencrypted DER in `structure`
/// (`"PrivateKeyInfo"`: PKCS#8): a decoder context for that type alone, which OpenSSL 3.0 sets up in about a third
/// of the time of PEM_read_bio_PrivateKey's every-format, every-type context. NULL when it does not decode.
static inline EVP_PKEY *COpenSSL_decode_private_key_der(const unsigned char *der, size_t length, const char *structure,
                                                        const char *type) {
    EVP_PKEY *key = NULL;
    OSSL_DECODER_CTX *context =
        OSSL_DECODER_CTX_new_for_pkey(&key, "DER", structure, type, EVP_PKEY_KEYPAIR, NULL, NULL);
    if (context == NULL) return NULL;
    size_t remaining = length;
    if (OSSL_DECODER_from_data(context, &der, &remaining) != 1 || remaining != 0) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    OSSL_DECODER_CTX_free(context);
    return key;
}

// MARK: - Macro wrappers (TLS)

static inline long COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) {
    return SSL_CTX_set_min_proto_version(ctx, v);
}
static inline long COpenSSL_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t op) { return SSL_CTX_set_options(ctx, op); }
static inline long COpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long COpenSSL_SSL_CTX_enable_read_ahead(SSL_CTX *ctx) { return SSL_CTX_set_read_ahead(ctx, 1); }
static inline long COpenSSL_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long COpenSSL_SSL_set_tlsext_host_name(SSL *s, const char *name) {
    return SSL_set_tlsext_host_name(s, name);
}

// MARK: - HTTP/TLS shims

static inline long COpenSSL_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) {
    return SSL_CTX_set_max_proto_version(ctx, v);
}
/// The server hardening options; SSL_OP_* are composite macros Swift cannot import.
static inline uint64_t COpenSSL_SSL_OP_server_hardening(void) {
    return SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
}

/// No server-side session cache and no TLS 1.2 session tickets: nothing to resume from.
static inline long COpenSSL_SSL_CTX_disable_session_cache(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

static const unsigned char COpenSSL_alpn_http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

/// ALPN selection that accepts only "http/1.1"; a client offering nothing we speak gets no ALPN rather than a failure.
static inline int COpenSSL_alpn_select_http11(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                              const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    (void)arg;
    unsigned char *selected = NULL;
    unsigned char selectedLength = 0;
    if (SSL_select_next_proto(&selected, &selectedLength, COpenSSL_alpn_http11, sizeof(COpenSSL_alpn_http11), in,
                              inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        *outlen = selectedLength;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}
static inline void COpenSSL_SSL_CTX_enable_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, COpenSSL_alpn_select_http11, NULL);
}
static inline int COpenSSL_SSL_set_alpn_http11(SSL *ssl) {
    return SSL_set_alpn_protos(ssl, COpenSSL_alpn_http11, sizeof(COpenSSL_alpn_http11));
}

#endif
