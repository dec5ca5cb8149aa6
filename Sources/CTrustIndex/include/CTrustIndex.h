#ifndef ANCHORAGE_CTRUSTINDEX_H
#define ANCHORAGE_CTRUSTINDEX_H

// A lazily parsed trust store (see CTrustIndex.c): the CA certificates of a PEM file are indexed by subject when
// the file is loaded and parsed only when chain building asks for that subject. Used by AnchorageHTTP's TLS client.

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

/// Trusts the certificates (and CRLs) of the PEM file `path` in `store` as X509_STORE_load_file does, through a
/// lookup that parses each certificate only when its subject is asked for. Returns that lookup (owned by `store`);
/// NULL, with OpenSSL's error queue set and nothing trusted from the file, when the file cannot be read, a block
/// does not decode, or it holds no certificate or CRL.
X509_LOOKUP *CTrustIndex_store_load_file(X509_STORE *store, const char *path);

/// X509_STORE_set_default_paths with the file and the directory given (the caller resolves them from the
/// environment as OpenSSL does): the file through the lazy lookup, the directory through OpenSSL's hashed-directory
/// and store lookups. A missing or unreadable file or directory is ignored, as OpenSSL does. Returns the file's
/// lookup (owned by `store`), NULL only when a lookup cannot be added.
X509_LOOKUP *CTrustIndex_store_set_default_paths(X509_STORE *store, const char *file, const char *directory);

/// Certificates indexed by `lookup` (left to be parsed when asked for).
long CTrustIndex_lookup_indexed_count(X509_LOOKUP *lookup);

/// Certificates `lookup` has parsed so far.
long CTrustIndex_lookup_parsed_count(X509_LOOKUP *lookup);

/// Whether a certificate `lookup` was asked for failed to parse: OpenSSL's eager loader would have refused the
/// whole file, so the caller fails the connection as it would have failed its configuration.
int CTrustIndex_lookup_failed(X509_LOOKUP *lookup);

/// Asks `lookup` for the subject of each certificate it indexed, as chain building would, so that every one is
/// parsed; returns CTrustIndex_lookup_failed. For tests: after it, the file is refused exactly when OpenSSL's eager
/// loader refuses it.
int CTrustIndex_lookup_resolve_all(X509_LOOKUP *lookup);

/// The environment variable `name`, ignored in a set-user-ID or set-group-ID process, as OpenSSL reads
/// SSL_CERT_FILE and SSL_CERT_DIR (secure_getenv). NULL when unset.
const char *CTrustIndex_secure_getenv(const char *name);

#endif
