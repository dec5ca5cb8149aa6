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

// OpenSSL 3.0's d2i_X509 decodes the certificate's public key through an OSSL_DECODER context that it builds
// afresh for every certificate, enumerating every provider's key managers and decoders: about 100 µs, two thirds
// of the whole parse (3.1 caches these contexts). Certificate parsing therefore decodes the certificate against a
// library context whose only provider is "null", so that step finds nothing and leaves the key empty, and then
// builds the key itself from the SubjectPublicKeyInfo fields (about 5 µs for EC, see COpenSSL_ec_key_template).

/// A library context with only the "null" provider: no key decoders, so parsing leaves public keys undecoded.
static inline OSSL_LIB_CTX *COpenSSL_keyless_library_context(void) {
    OSSL_LIB_CTX *context = OSSL_LIB_CTX_new();
    if (context != NULL && OSSL_PROVIDER_load(context, "null") == NULL) {
        OSSL_LIB_CTX_free(context);
        return NULL;
    }
    return context;
}

/// d2i_X509 with the public-key decoding done in `keyless`: the certificate's key is left empty.
static inline X509 *COpenSSL_d2i_X509_keyless(const unsigned char **in, long length, OSSL_LIB_CTX *keyless) {
    return (X509 *)ASN1_item_d2i_ex(NULL, in, length, ASN1_ITEM_rptr(X509), keyless, NULL);
}

/// The leading fields of OpenSSL 3.0's private `struct X509_pubkey_st` (crypto/x509/x_pubkey.c); the key is set
/// through it only after the two fields before it are checked against what the public accessors return.
typedef struct {
    X509_ALGOR *algor;
    ASN1_BIT_STRING *public_key;
    EVP_PKEY *pkey;
} COpenSSL_X509_PUBKEY_head;

/// A public key on `curve` (NID_X9_62_prime256v1, NID_secp384r1 or NID_secp521r1) whose point is the curve's
/// generator, for COpenSSL_ec_public_key to copy: duplicating a key and setting its point costs about 5 µs,
/// EVP_PKEY_fromdata about 25 (it builds the group from its name every time). NULL on failure.
static inline EVP_PKEY *COpenSSL_ec_key_template(int curve) {
    EC_GROUP *group = EC_GROUP_new_by_curve_name(curve);
    unsigned char point[133];  // an uncompressed P-521 point: 1 + 2 × 66 bytes
    size_t length = group != NULL ? EC_POINT_point2oct(group, EC_GROUP_get0_generator(group),
                                                       POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point), NULL)
                                  : 0;
    EC_GROUP_free(group);
    const char *name = OBJ_nid2sn(curve);
    if (length == 0 || name == NULL) return NULL;
    OSSL_PARAM params[3] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, length),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (context == NULL || EVP_PKEY_fromdata_init(context) != 1 ||
        EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(context);
    return key;
}

/// Templates from COpenSSL_ec_key_template; a NULL one leaves that curve's certificates to d2i_X509.
typedef struct {
    EVP_PKEY *p256, *p384, *p521;
} COpenSSL_EC_key_templates;

/// The public key at `bits` (an encoded point) on the named `curve`: a copy of that curve's template given the
/// point, which is checked to be on the curve as it is set. NULL for another curve, no template, or a bad point.
static inline EVP_PKEY *COpenSSL_ec_public_key(int curve, const unsigned char *bits, int length,
                                               COpenSSL_EC_key_templates templates) {
    EVP_PKEY *template = curve == NID_X9_62_prime256v1 ? templates.p256
                         : curve == NID_secp384r1      ? templates.p384
                         : curve == NID_secp521r1      ? templates.p521
                                                       : NULL;
    EVP_PKEY *copy = template != NULL ? EVP_PKEY_dup(template) : NULL;
    if (copy != NULL && EVP_PKEY_set1_encoded_public_key(copy, bits, (size_t)length) != 1) {
        EVP_PKEY_free(copy);
        copy = NULL;
    }
    return copy;
}

/// The RSA public key of an RSAPublicKey encoding (SEQUENCE { modulus INTEGER, publicExponent INTEGER }, exactly and
/// both non-negative: a negative INTEGER is left to d2i_X509, whose RSA decoder reads the magnitude alone). NULL
/// otherwise.
static inline EVP_PKEY *COpenSSL_rsa_public_key(const unsigned char *bits, int length) {
    const unsigned char *cursor = bits;
    STACK_OF(ASN1_TYPE) *fields = d2i_ASN1_SEQUENCE_ANY(NULL, &cursor, length);
    BIGNUM *modulus = NULL, *exponent = NULL;
    OSSL_PARAM_BLD *builder = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *context = NULL;
    EVP_PKEY *key = NULL;
    if (fields == NULL || cursor != bits + length || sk_ASN1_TYPE_num(fields) != 2) goto done;
    const ASN1_TYPE *n = sk_ASN1_TYPE_value(fields, 0), *e = sk_ASN1_TYPE_value(fields, 1);
    if (n->type != V_ASN1_INTEGER || e->type != V_ASN1_INTEGER ||
        ASN1_STRING_type(n->value.integer) != V_ASN1_INTEGER || ASN1_STRING_type(e->value.integer) != V_ASN1_INTEGER)
        goto done;
    modulus = ASN1_INTEGER_to_BN(n->value.integer, NULL);
    exponent = ASN1_INTEGER_to_BN(e->value.integer, NULL);
    builder = OSSL_PARAM_BLD_new();
    if (modulus == NULL || exponent == NULL || builder == NULL ||
        !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, modulus) ||
        !OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, exponent))
        goto done;
    params = OSSL_PARAM_BLD_to_param(builder);
    context = params != NULL ? EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL) : NULL;
    if (context == NULL || EVP_PKEY_fromdata_init(context) != 1 ||
        EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
done:
    EVP_PKEY_CTX_free(context);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    BN_free(modulus);
    BN_free(exponent);
    sk_ASN1_TYPE_pop_free(fields, ASN1_TYPE_free);
    return key;
}

/// The public key of a SubjectPublicKeyInfo for the kinds a certificate may carry here: EC on P-256, P-384 or
/// P-521 (named curve) and rsaEncryption (NULL parameters). NULL for anything else or on any error.
static inline EVP_PKEY *COpenSSL_public_key_from_spki(const X509_ALGOR *algorithm, const unsigned char *bits,
                                                     int length, COpenSSL_EC_key_templates templates) {
    const ASN1_OBJECT *oid = NULL;
    int parameterType = 0;
    const void *parameter = NULL;
    X509_ALGOR_get0(&oid, &parameterType, &parameter, algorithm);
    if (length <= 0) return NULL;
    switch (OBJ_obj2nid(oid)) {
    case NID_X9_62_id_ecPublicKey:
        if (parameterType != V_ASN1_OBJECT) return NULL;
        return COpenSSL_ec_public_key(OBJ_obj2nid((const ASN1_OBJECT *)parameter), bits, length, templates);
    case NID_rsaEncryption:
        return parameterType == V_ASN1_NULL ? COpenSSL_rsa_public_key(bits, length) : NULL;
    default:
        return NULL;
    }
}

/// Whether this libcrypto is 3.0.x, the only version whose X509_PUBKEY layout the install below is written for (and
/// the only one that needs it: 3.1 caches the decoders).
static inline int COpenSSL_keyless_parse_supported(void) { return (OpenSSL_version_num() >> 20) == 0x300; }

/// Gives a certificate parsed by COpenSSL_d2i_X509_keyless its public key. 1 when installed; 0 when this is not
/// OpenSSL 3.0.x, the key is of another kind or does not build, or the structure is not laid out as expected: the
/// caller then parses with d2i_X509 instead.
static inline int COpenSSL_X509_install_public_key(X509 *x509, COpenSSL_EC_key_templates templates) {
    if (!COpenSSL_keyless_parse_supported()) return 0;
    X509_PUBKEY *publicKey = X509_get_X509_PUBKEY(x509);
    const unsigned char *bits = NULL;
    int length = 0;
    X509_ALGOR *algorithm = NULL;
    if (publicKey == NULL || X509_PUBKEY_get0_param(NULL, &bits, &length, &algorithm, publicKey) != 1) return 0;
    COpenSSL_X509_PUBKEY_head *head = (COpenSSL_X509_PUBKEY_head *)publicKey;
    if (head->algor != algorithm || head->public_key == NULL || head->public_key->data != bits ||
        head->public_key->length != length || head->pkey != NULL)
        return 0;
    EVP_PKEY *key = COpenSSL_public_key_from_spki(algorithm, bits, length, templates);
    if (key == NULL) return 0;
    head->pkey = key;
    if (X509_get0_pubkey(x509) != key) {
        head->pkey = NULL;
        EVP_PKEY_free(key);
        return 0;
    }
    return 1;
}

// epoll and eventfd are not in Swift's Glibc module, and `struct epoll_event` is packed on x86_64;
// these wrappers take plain integers so Swift never handles the struct.
#include <sys/epoll.h>
#include <sys/eventfd.h>

static inline int COpenSSL_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

#include <sys/prctl.h>
/// Names the calling thread (prctl is variadic, which Swift cannot call).
static inline int COpenSSL_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
static inline int COpenSSL_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline uint32_t COpenSSL_EPOLLIN(void) { return EPOLLIN; }
static inline uint32_t COpenSSL_EPOLLOUT(void) { return EPOLLOUT; }
static inline uint32_t COpenSSL_EPOLLHUP(void) { return EPOLLHUP; }
static inline uint32_t COpenSSL_EPOLLERR(void) { return EPOLLERR; }
/// op: 0 add, 1 modify, 2 delete.
static inline int COpenSSL_epoll_ctl(int epfd, int op, int fd, uint32_t events) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = 0;
    event.data.fd = fd;
    int operation = op == 0 ? EPOLL_CTL_ADD : (op == 1 ? EPOLL_CTL_MOD : EPOLL_CTL_DEL);
    return epoll_ctl(epfd, operation, fd, &event);
}
/// Waits for at most 256 events and reports them as parallel arrays of fds and event masks.
static inline int COpenSSL_epoll_wait(int epfd, int *fds, uint32_t *masks, int capacity, int timeoutMillis) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, events, capacity, timeoutMillis);
    for (int i = 0; i < count; i++) {
        fds[i] = events[i].data.fd;
        masks[i] = events[i].events;
    }
    return count;
}

#endif
