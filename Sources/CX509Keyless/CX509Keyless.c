#include "CX509Keyless.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/provider.h>

// OpenSSL 3.0's d2i_X509 decodes the certificate's public key through an OSSL_DECODER context that it builds
// afresh for every certificate, enumerating every provider's key managers and decoders: about 100 µs, two thirds
// of the whole parse (3.1 caches these contexts). Certificate parsing therefore decodes the certificate against a
// library context whose only provider is "null", so that step finds nothing and leaves the key empty, and then
// builds the key itself from the SubjectPublicKeyInfo fields (about 5 µs for EC, see CX509Keyless_ec_key_template).

/// A library context with only the "null" provider: no key decoders, so parsing leaves public keys undecoded.
OSSL_LIB_CTX *CX509Keyless_library_context(void) {
    OSSL_LIB_CTX *context = OSSL_LIB_CTX_new();
    if (context != NULL && OSSL_PROVIDER_load(context, "null") == NULL) {
        OSSL_LIB_CTX_free(context);
        return NULL;
    }
    return context;
}

/// d2i_X509 with the public-key decoding done in `keyless`: the certificate's key is left empty.
X509 *CX509Keyless_d2i_X509(const unsigned char **in, long length, OSSL_LIB_CTX *keyless) {
    return (X509 *)ASN1_item_d2i_ex(NULL, in, length, ASN1_ITEM_rptr(X509), keyless, NULL);
}

/// The leading fields of OpenSSL 3.0's private `struct X509_pubkey_st` (crypto/x509/x_pubkey.c); the key is set
/// through it only after the two fields before it are checked against what the public accessors return.
typedef struct {
    X509_ALGOR *algor;
    ASN1_BIT_STRING *public_key;
    EVP_PKEY *pkey;
} CX509Keyless_X509_PUBKEY_head;

/// A public key on `curve` (NID_X9_62_prime256v1, NID_secp384r1 or NID_secp521r1) whose point is the curve's
/// generator, for CX509Keyless_ec_public_key to copy: duplicating a key and setting its point costs about 5 µs,
/// EVP_PKEY_fromdata about 25 (it builds the group from its name every time). NULL on failure.
EVP_PKEY *CX509Keyless_ec_key_template(int curve) {
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

/// The public key at `bits` (an encoded point) on the named `curve`: a copy of that curve's template given the
/// point, which is checked to be on the curve as it is set. NULL for another curve, no template, or a bad point.
static EVP_PKEY *CX509Keyless_ec_public_key(int curve, const unsigned char *bits, int length,
                                               CX509Keyless_EC_key_templates templates) {
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
static EVP_PKEY *CX509Keyless_rsa_public_key(const unsigned char *bits, int length) {
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
static EVP_PKEY *CX509Keyless_public_key_from_spki(const X509_ALGOR *algorithm, const unsigned char *bits,
                                                     int length, CX509Keyless_EC_key_templates templates) {
    const ASN1_OBJECT *oid = NULL;
    int parameterType = 0;
    const void *parameter = NULL;
    X509_ALGOR_get0(&oid, &parameterType, &parameter, algorithm);
    if (length <= 0) return NULL;
    switch (OBJ_obj2nid(oid)) {
    case NID_X9_62_id_ecPublicKey:
        if (parameterType != V_ASN1_OBJECT) return NULL;
        return CX509Keyless_ec_public_key(OBJ_obj2nid((const ASN1_OBJECT *)parameter), bits, length, templates);
    case NID_rsaEncryption:
        return parameterType == V_ASN1_NULL ? CX509Keyless_rsa_public_key(bits, length) : NULL;
    default:
        return NULL;
    }
}

/// Whether this libcrypto is 3.0.x, the only version whose X509_PUBKEY layout the install below is written for (and
/// the only one that needs it: 3.1 caches the decoders).
int CX509Keyless_parse_supported(void) { return (OpenSSL_version_num() >> 20) == 0x300; }

/// Gives a certificate parsed by CX509Keyless_d2i_X509 its public key. 1 when installed; 0 when this is not
/// OpenSSL 3.0.x, the key is of another kind or does not build, or the structure is not laid out as expected: the
/// caller then parses with d2i_X509 instead.
int CX509Keyless_X509_install_public_key(X509 *x509, CX509Keyless_EC_key_templates templates) {
    if (!CX509Keyless_parse_supported()) return 0;
    X509_PUBKEY *publicKey = X509_get_X509_PUBKEY(x509);
    const unsigned char *bits = NULL;
    int length = 0;
    X509_ALGOR *algorithm = NULL;
    if (publicKey == NULL || X509_PUBKEY_get0_param(NULL, &bits, &length, &algorithm, publicKey) != 1) return 0;
    CX509Keyless_X509_PUBKEY_head *head = (CX509Keyless_X509_PUBKEY_head *)publicKey;
    if (head->algor != algorithm || head->public_key == NULL || head->public_key->data != bits ||
        head->public_key->length != length || head->pkey != NULL)
        return 0;
    EVP_PKEY *key = CX509Keyless_public_key_from_spki(algorithm, bits, length, templates);
    if (key == NULL) return 0;
    head->pkey = key;
    if (X509_get0_pubkey(x509) != key) {
        head->pkey = NULL;
        EVP_PKEY_free(key);
        return 0;
    }
    return 1;
}
