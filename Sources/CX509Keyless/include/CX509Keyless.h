#ifndef ANCHORAGE_CX509KEYLESS_H
#define ANCHORAGE_CX509KEYLESS_H

// Certificate parsing without OpenSSL 3.0's per-certificate key-decoder setup (see CX509Keyless.c): the
// certificate is decoded against a library context with no key decoders, and its public key is then built from
// the SubjectPublicKeyInfo fields. Used by AnchorageCrypto's X509Decoder only.

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/// A library context with only the "null" provider: no key decoders, so parsing leaves public keys undecoded.
OSSL_LIB_CTX *CX509Keyless_library_context(void);

/// d2i_X509 with the public-key decoding done in `keyless`: the certificate's key is left empty.
X509 *CX509Keyless_d2i_X509(const unsigned char **in, long length, OSSL_LIB_CTX *keyless);

/// A public key on `curve` (NID_X9_62_prime256v1, NID_secp384r1 or NID_secp521r1) whose point is the curve's
/// generator, to be copied for each EC key built. NULL on failure.
EVP_PKEY *CX509Keyless_ec_key_template(int curve);

/// Templates from CX509Keyless_ec_key_template; a NULL one leaves that curve's certificates to d2i_X509.
typedef struct {
    EVP_PKEY *p256, *p384, *p521;
} CX509Keyless_EC_key_templates;

/// Whether this libcrypto is 3.0.x, the only version whose X509_PUBKEY layout CX509Keyless_X509_install_public_key
/// is written for (and the only one that needs it: 3.1 caches the decoders).
int CX509Keyless_parse_supported(void);

/// Gives a certificate parsed by CX509Keyless_d2i_X509 its public key. 1 when installed; 0 when this is not
/// OpenSSL 3.0.x, the key is of another kind or does not build, or the structure is not laid out as expected: the
/// caller then parses with d2i_X509 instead.
int CX509Keyless_X509_install_public_key(X509 *x509, CX509Keyless_EC_key_templates templates);

#endif
