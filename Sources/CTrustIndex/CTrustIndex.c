#define _GNU_SOURCE  // secure_getenv
#include "CTrustIndex.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>

// OpenSSL's file loader (X509_STORE_load_file, SSL_CTX_load_verify_locations) parses every certificate of a CA file
// at once, and on OpenSSL 3.0 each d2i_X509 builds a key-decoder context for the public key: about 1.3 M
// instructions per certificate, some 50 ms for the 146 certificates of a system bundle, when a handshake needs one
// or two of them. So the file is read here block by block (a plain file framed and decoded here, any other with
// OpenSSL's own PEM reader: see CTrustIndex_scan), each certificate's subject is located in its DER without parsing
// the rest, and the certificate is parsed when chain building asks the store for that subject (X509_LOOKUP
// get_by_subject), as OpenSSL's hashed-directory lookup does for the files of a directory.
//
// What the store trusts stays what the eager loader would have trusted: the same blocks are read (CERTIFICATE,
// X509 CERTIFICATE, TRUSTED CERTIFICATE with its trust settings, X509 CRL; others skipped), a block that does not
// decode fails the whole load as it does, and a file with neither certificate nor CRL is refused as it is. CRLs are
// parsed at once; a file with a certificate whose subject the index cannot locate, with private keys or encrypted
// blocks (which the eager loader treats in ways of its own), or over 1 GiB, is handed to it whole. The one difference:
// a certificate whose subject is found but whose full parse fails is noticed only when that subject is asked for
// (CTrustIndex_lookup_failed), not at load time.

/// One indexed certificate.
typedef struct {
    /// Its DER, decoded from its PEM block, until it is parsed.
    unsigned char *der;
    long length;
    /// Its subject, parsed at index time: X509_NAME_cmp compares OpenSSL's canonical encodings, as the store does.
    X509_NAME *subject;
    /// A TRUSTED CERTIFICATE block: parsed with d2i_X509_AUX, which keeps its trust settings.
    int auxiliary;
    /// 0 not parsed yet, 1 parsed and in the store, -1 failed to parse.
    int state;
} CTrustIndex_entry;

/// A lookup's index: the entries of the files loaded into it.
typedef struct {
    CTrustIndex_entry *entries;
    size_t count, capacity;
    long parsed;
    int failed;
    /// Chain building may run on several threads if the store is shared: entries are parsed under this lock.
    CRYPTO_RWLOCK *lock;
} CTrustIndex_index;

static void CTrustIndex_free_entry(CTrustIndex_entry *entry) {
    OPENSSL_free(entry->der);
    X509_NAME_free(entry->subject);
}

static int CTrustIndex_new_item(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = OPENSSL_zalloc(sizeof(*index));
    if (index == NULL) return 0;
    index->lock = CRYPTO_THREAD_lock_new();
    if (index->lock == NULL || !X509_LOOKUP_set_method_data(lookup, index)) {
        CRYPTO_THREAD_lock_free(index->lock);
        OPENSSL_free(index);
        return 0;
    }
    return 1;
}

static void CTrustIndex_free(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    if (index == NULL) return;
    for (size_t i = 0; i < index->count; i++) CTrustIndex_free_entry(&index->entries[i]);
    OPENSSL_free(index->entries);
    CRYPTO_THREAD_lock_free(index->lock);
    OPENSSL_free(index);
    X509_LOOKUP_set_method_data(lookup, NULL);
}

/// The certificate of `entry`, parsed as the eager loader parses its block; NULL if it does not parse.
static X509 *CTrustIndex_parse(const unsigned char *der, long length, int auxiliary) {
    const unsigned char *cursor = der;
    return auxiliary ? d2i_X509_AUX(NULL, &cursor, length) : d2i_X509(NULL, &cursor, length);
}

/// Parses (once) every entry whose subject is `name` and adds it to the store; then returns one of the store's
/// certificates of that subject through `ret` as OpenSSL's own lookups do: X509_STORE_CTX_get_by_subject takes a
/// reference of its own to what `ret` holds and never frees `ret`, so `ret` must borrow the store's reference (set1
/// then free, as by_store.c does; by_dir.c copies the pointer). Returns 1 when found.
static int CTrustIndex_get_by_subject(X509_LOOKUP *lookup, X509_LOOKUP_TYPE type, const X509_NAME *name,
                                      X509_OBJECT *ret) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    X509_STORE *store = X509_LOOKUP_get_store(lookup);
    if (type != X509_LU_X509 || index == NULL || store == NULL || name == NULL) return 0;
    int found = 0;
    if (!CRYPTO_THREAD_write_lock(index->lock)) return 0;
    for (size_t i = 0; i < index->count; i++) {
        CTrustIndex_entry *entry = &index->entries[i];
        if (X509_NAME_cmp(entry->subject, name) != 0) continue;
        if (entry->state == 0) {
            X509 *certificate = CTrustIndex_parse(entry->der, entry->length, entry->auxiliary);
            // X509_STORE_add_cert takes its own reference; a duplicate of a certificate already there is fine.
            int added = certificate != NULL && X509_STORE_add_cert(store, certificate);
            X509_free(certificate);
            entry->state = added ? 1 : -1;
            if (added) {
                index->parsed += 1;
                OPENSSL_free(entry->der);
                entry->der = NULL;
            } else {
                index->failed = 1;
            }
        }
        if (entry->state == 1) found = 1;
    }
    CRYPTO_THREAD_unlock(index->lock);
    if (!found) return 0;
    // The store's first certificate of that subject, as the eager loader's store would have answered from its
    // cache; the caller then examines every certificate of that subject in the store (X509_STORE_CTX_get1_issuer).
    if (!X509_STORE_lock(store)) return 0;
    X509_OBJECT *object = X509_OBJECT_retrieve_by_subject(X509_STORE_get0_objects(store), X509_LU_X509, name);
    X509 *certificate = object != NULL ? X509_OBJECT_get0_X509(object) : NULL;
    int ok = certificate != NULL && X509_OBJECT_set1_X509(ret, certificate);
    X509_STORE_unlock(store);
    if (ok) X509_free(certificate);  // `ret` borrows the store's reference (see above)
    return ok;
}

static X509_LOOKUP_METHOD *CTrustIndex_method_instance;
static CRYPTO_ONCE CTrustIndex_method_once = CRYPTO_ONCE_STATIC_INIT;

/// Made once and never freed, like OpenSSL's own static lookup methods: every store's lookup points at it.
static void CTrustIndex_make_method(void) {
    X509_LOOKUP_METHOD *method = X509_LOOKUP_meth_new("Anchorage lazily parsed CA file");
    if (method == NULL) return;
    if (!X509_LOOKUP_meth_set_new_item(method, CTrustIndex_new_item) ||
        !X509_LOOKUP_meth_set_free(method, CTrustIndex_free) ||
        !X509_LOOKUP_meth_set_get_by_subject(method, CTrustIndex_get_by_subject)) {
        X509_LOOKUP_meth_free(method);
        return;
    }
    CTrustIndex_method_instance = method;
}

static X509_LOOKUP_METHOD *CTrustIndex_method(void) {
    if (!CRYPTO_THREAD_run_once(&CTrustIndex_method_once, CTrustIndex_make_method)) return NULL;
    return CTrustIndex_method_instance;
}

/// The next DER element at `*cursor` within `*remaining` bytes: its header is consumed, its content length is
/// returned in `*length`. 0 for a malformed or indefinite-length header (left to the full parse).
static int CTrustIndex_der_header(const unsigned char **cursor, long *remaining, int *tag, int *class,
                                  long *length) {
    const unsigned char *start = *cursor;
    int flags = ASN1_get_object(cursor, length, tag, class, *remaining);
    if ((flags & 0x80) != 0 || (flags & 0x01) != 0) return 0;
    *remaining -= (long)(*cursor - start);
    return *length <= *remaining;
}

/// Skips the next DER element whole.
static int CTrustIndex_der_skip(const unsigned char **cursor, long *remaining) {
    int tag, class;
    long length;
    if (!CTrustIndex_der_header(cursor, remaining, &tag, &class, &length)) return 0;
    *cursor += length;
    *remaining -= length;
    return 1;
}

/// The subject Name of the certificate `der`, found without parsing the rest: Certificate is SEQUENCE {
/// TBSCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject, ... }, ... }.
/// NULL when the structure is not as expected; the caller then parses the whole certificate.
static X509_NAME *CTrustIndex_subject(const unsigned char *der, long length) {
    const unsigned char *cursor = der;
    long remaining = length, content;
    int tag, class;
    X509_NAME *subject = NULL;
    // ASN1_get_object queues an error for a bad header: this is only a probe, so its errors are dropped.
    ERR_set_mark();
    if (!CTrustIndex_der_header(&cursor, &remaining, &tag, &class, &content) || tag != V_ASN1_SEQUENCE ||
        class != V_ASN1_UNIVERSAL)
        goto done;
    remaining = content;
    if (!CTrustIndex_der_header(&cursor, &remaining, &tag, &class, &content) || tag != V_ASN1_SEQUENCE ||
        class != V_ASN1_UNIVERSAL)
        goto done;
    remaining = content;
    {
        // The optional [0] version: peek at the next tag.
        const unsigned char *peek = cursor;
        long peekRemaining = remaining, peekLength;
        if (!CTrustIndex_der_header(&peek, &peekRemaining, &tag, &class, &peekLength)) goto done;
        if (class == V_ASN1_CONTEXT_SPECIFIC && tag == 0 && !CTrustIndex_der_skip(&cursor, &remaining)) goto done;
    }
    for (int field = 0; field < 4; field++) {  // serialNumber, signature, issuer, validity
        if (!CTrustIndex_der_skip(&cursor, &remaining)) goto done;
    }
    const unsigned char *start = cursor;
    if (!CTrustIndex_der_header(&cursor, &remaining, &tag, &class, &content) || tag != V_ASN1_SEQUENCE ||
        class != V_ASN1_UNIVERSAL)
        goto done;
    const unsigned char *name = start;
    long nameLength = (long)(cursor - start) + content;
    subject = d2i_X509_NAME(NULL, &name, nameLength);
    if (subject != NULL && name != start + nameLength) {
        X509_NAME_free(subject);
        subject = NULL;
    }
done:
    ERR_pop_to_mark();
    return subject;
}

/// Room for `more` entries in `index`.
static int CTrustIndex_reserve(CTrustIndex_index *index, size_t more) {
    if (index->capacity - index->count >= more) return 1;
    size_t capacity = index->capacity == 0 ? 64 : index->capacity;
    while (capacity - index->count < more) capacity *= 2;
    CTrustIndex_entry *entries = OPENSSL_realloc(index->entries, capacity * sizeof(*entries));
    if (entries == NULL) return 0;
    index->entries = entries;
    index->capacity = capacity;
    return 1;
}

static int CTrustIndex_append(CTrustIndex_index *index, CTrustIndex_entry entry) {
    if (!CTrustIndex_reserve(index, 1)) return 0;
    index->entries[index->count++] = entry;
    return 1;
}

/// What CTrustIndex_read found in a file.
typedef struct {
    /// Certificates indexed by subject, to be parsed when asked for.
    CTrustIndex_index pending;
    /// CRLs, parsed at once.
    STACK_OF(X509_CRL) *crls;
} CTrustIndex_contents;

static void CTrustIndex_contents_free(CTrustIndex_contents *contents) {
    for (size_t i = 0; i < contents->pending.count; i++) CTrustIndex_free_entry(&contents->pending.entries[i]);
    OPENSSL_free(contents->pending.entries);
    sk_X509_CRL_pop_free(contents->crls, X509_CRL_free);
}

/// Takes one PEM block as PEM_X509_INFO_read_bio_ex would: 1 taken (or skipped: a type it ignores), 0 refused (error
/// queued), -1 a block the eager loader must read itself. Takes ownership of `*data` when it keeps it.
static int CTrustIndex_take(CTrustIndex_contents *contents, const char *name, const char *header, unsigned char **data,
                            long length) {
    int certificate = strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0;
    int trusted = strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
    int crl = strcmp(name, PEM_STRING_X509_CRL) == 0;
    // A private key, or headers (encryption) on a certificate or CRL: the eager loader's own business.
    if (strstr(name, PEM_STRING_PKCS8INF) != NULL || ((certificate || trusted || crl) && header[0] != '\0')) return -1;
    if (crl) {
        const unsigned char *cursor = *data;
        X509_CRL *parsed = d2i_X509_CRL(NULL, &cursor, length);
        if (parsed == NULL) {
            ERR_raise(ERR_LIB_PEM, ERR_R_ASN1_LIB);
            return 0;
        }
        if (!sk_X509_CRL_push(contents->crls, parsed)) {
            X509_CRL_free(parsed);
            return 0;
        }
    } else if (certificate || trusted) {
        X509_NAME *subject = CTrustIndex_subject(*data, length);
        // A certificate whose subject the probe cannot locate (BER indefinite lengths, say) would have to be parsed
        // now and put in the store, where it would hide the indexed certificates of the same subject: the store
        // asks its lookups only for subjects it does not hold. Such a file goes to the eager loader whole.
        if (subject == NULL) return -1;
        CTrustIndex_entry entry = {*data, length, subject, trusted, 0};
        if (!CTrustIndex_append(&contents->pending, entry)) {
            X509_NAME_free(subject);
            return 0;
        }
        *data = NULL;  // the entry owns it
    }
    return 1;
}

/// Reads every block of `in` with OpenSSL's PEM reader, as PEM_X509_INFO_read_bio_ex does: the end is a missing
/// start line, any other error refuses the file. 1, 0 (error queued) or -1 as CTrustIndex_take.
static int CTrustIndex_read_pem(BIO *in, CTrustIndex_contents *contents) {
    int result = 1;
    while (result == 1) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long length = 0;
        ERR_set_mark();
        if (!PEM_read_bio(in, &name, &header, &data, &length)) {
            if (ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
                ERR_pop_to_mark();
                break;
            }
            ERR_clear_last_mark();
            return 0;
        }
        ERR_clear_last_mark();
        result = CTrustIndex_take(contents, name, header, &data, length);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    return result;
}

// The fast path. PEM_read_bio spends about 85,000 instructions a certificate (two thirds in EVP_DecodeUpdate), as
// much as the rest of the index: for a file in the plain form every CA bundle has, the blocks are framed and decoded
// here instead. The form is strict, so that it decodes to exactly what PEM_read_bio would: outside blocks, lines
// without "-----" (skipped by both); "-----BEGIN NAME-----" with NAME of capitals, digits and spaces; then lines of
// base64 characters only (no header, no blank line, no space), with "=" padding only at the very end and a multiple
// of four characters in all; then "-----END NAME-----". Lines end with "\n" or "\r\n" (or the end of the file). A file
// with anything else anywhere, NUL bytes included, is read again by CTrustIndex_read_pem.

/// A block found by the strict scan: its name, an offset into the file's bytes, and its decoded bytes, an offset into
/// the scan's output.
typedef struct {
    size_t name, nameLength, decoded, decodedLength;
} CTrustIndex_span;

/// The line at `*position`: its start and its length without the line ending. 0 at the end of `text`.
static int CTrustIndex_line(const unsigned char *text, size_t length, size_t *position, size_t *start,
                            size_t *lineLength) {
    if (*position >= length) return 0;
    *start = *position;
    const unsigned char *newline = memchr(text + *position, '\n', length - *position);
    size_t end = newline != NULL ? (size_t)(newline - text) : length;
    *position = newline != NULL ? end + 1 : length;
    *lineLength = end - *start;
    if (*lineLength > 0 && text[*start + *lineLength - 1] == '\r') *lineLength -= 1;
    return 1;
}

/// One more than the value of each base64 character; 0 for any other byte. A table: the scan and the decoding look
/// up every byte of the file.
static const unsigned char CTrustIndex_base64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10,
    ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19,
    ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
    ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46,
    ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
    ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};


/// Frames and decodes every block of `text` in the strict form, in one pass: 1 with `*spans` and `*decoded` (both to
/// be freed) and `*count` set, 0 when the text is not in that form anywhere (or on allocation failure): the caller
/// then uses OpenSSL's reader.
static int CTrustIndex_scan(const unsigned char *text, size_t length, CTrustIndex_span **spans, size_t *count,
                            unsigned char **decoded) {
    static const char begin[] = "-----BEGIN ", end[] = "-----END ", dashes[] = "-----";
    size_t capacity = 0, position = 0, start, lineLength, written = 0;
    *spans = NULL;
    *count = 0;
    *decoded = length > 0 && memchr(text, '\0', length) == NULL ? OPENSSL_malloc(length) : NULL;
    if (*decoded == NULL) goto fail;
    unsigned char *out = *decoded;  // never outgrows the text: three bytes out for four characters in
    while (CTrustIndex_line(text, length, &position, &start, &lineLength)) {
        const unsigned char *line = text + start;
        if (memmem(line, lineLength, dashes, 5) == NULL) continue;  // text outside blocks
        if (lineLength < 11 + 1 + 5 || lineLength > 11 + 64 + 5 || memcmp(line, begin, 11) != 0 ||
            memcmp(line + lineLength - 5, dashes, 5) != 0)
            goto fail;
        CTrustIndex_span span = {start + 11, lineLength - 16, written, 0};
        for (size_t i = 0; i < span.nameLength; i++) {
            unsigned char c = text[span.name + i];
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) goto fail;
        }
        unsigned int quantum = 0, filled = 0, padding = 0;
        for (;;) {
            if (!CTrustIndex_line(text, length, &position, &start, &lineLength) || lineLength == 0) goto fail;
            line = text + start;
            if (line[0] == '-') {
                if (lineLength != 9 + span.nameLength + 5 || memcmp(line, end, 9) != 0 ||
                    memcmp(line + 9, text + span.name, span.nameLength) != 0 ||
                    memcmp(line + 9 + span.nameLength, dashes, 5) != 0)
                    goto fail;
                break;
            }
            for (size_t i = 0; i < lineLength; i++) {
                unsigned int value = CTrustIndex_base64_table[line[i]];
                if (value != 0 && padding == 0) {
                    quantum = quantum << 6 | (value - 1);
                } else if (line[i] == '=') {
                    quantum <<= 6;
                    padding += 1;
                } else {
                    goto fail;  // not base64, or a character after the padding
                }
                if (++filled == 4) {
                    out[written++] = (unsigned char)(quantum >> 16);
                    out[written++] = (unsigned char)(quantum >> 8);
                    out[written++] = (unsigned char)quantum;
                    quantum = 0;
                    filled = 0;
                }
            }
        }
        if (written == span.decoded || filled != 0 || padding > 2) goto fail;
        written -= padding;
        span.decodedLength = written - span.decoded;
        if (*count == capacity) {
            capacity = capacity == 0 ? 256 : 2 * capacity;
            CTrustIndex_span *grown = OPENSSL_realloc(*spans, capacity * sizeof(**spans));
            if (grown == NULL) goto fail;
            *spans = grown;
        }
        (*spans)[(*count)++] = span;
    }
    return 1;
fail:
    OPENSSL_free(*spans);
    OPENSSL_free(*decoded);
    *spans = NULL;
    *decoded = NULL;
    *count = 0;
    return 0;
}

/// The whole file, or NULL: with an error queued when it cannot be read, with `*tooLarge` set (and no error) when it
/// is over 1 GiB.
static unsigned char *CTrustIndex_read_file(const char *path, size_t *length, int *tooLarge) {
    BIO *in = BIO_new_file(path, "rb");
    if (in == NULL) {
        ERR_raise(ERR_LIB_X509, ERR_R_SYS_LIB);
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    unsigned char *text = OPENSSL_malloc(capacity);
    for (;;) {
        if (text == NULL) break;
        if (used == capacity) {
            if (capacity > INT_MAX / 2) *tooLarge = 1;
            unsigned char *grown = capacity <= INT_MAX / 2 ? OPENSSL_realloc(text, 2 * capacity) : NULL;
            if (grown == NULL) {
                OPENSSL_free(text);
                text = NULL;
                break;
            }
            text = grown;
            capacity *= 2;
        }
        int count = BIO_read(in, text + used, (int)(capacity - used));
        if (count <= 0) {
            if (BIO_eof(in) != 1) {  // a read error, not the end
                ERR_raise(ERR_LIB_X509, ERR_R_SYS_LIB);
                OPENSSL_free(text);
                text = NULL;
            }
            break;
        }
        used += (size_t)count;
    }
    BIO_free(in);
    *length = used;
    return text;
}

/// 1 read, 0 refused (error queued), -1 the file holds blocks the eager loader must read itself.
static int CTrustIndex_read(const char *path, CTrustIndex_contents *contents) {
    size_t length = 0;
    int tooLarge = 0;
    unsigned char *text = CTrustIndex_read_file(path, &length, &tooLarge);
    if (text == NULL) return tooLarge ? -1 : 0;
    contents->crls = sk_X509_CRL_new_null();
    int result = 0;
    CTrustIndex_span *spans = NULL;
    unsigned char *decoded = NULL;
    size_t count = 0;
    if (contents->crls == NULL) goto done;
    if (CTrustIndex_scan(text, length, &spans, &count, &decoded)) {
        result = 1;
        for (size_t i = 0; result == 1 && i < count; i++) {
            char name[65];
            memcpy(name, text + spans[i].name, spans[i].nameLength);
            name[spans[i].nameLength] = '\0';
            // Each block's bytes of their own: an indexed certificate keeps them until it is parsed.
            size_t dataLength = spans[i].decodedLength;
            unsigned char *data = OPENSSL_malloc(dataLength > 0 ? dataLength : 1);
            if (data != NULL) memcpy(data, decoded + spans[i].decoded, dataLength);
            result = data != NULL ? CTrustIndex_take(contents, name, "", &data, (long)dataLength) : 0;
            OPENSSL_free(data);
        }
    } else {
        // Not in the plain form: OpenSSL's reader on the file, as the eager loader reads it.
        BIO *in = BIO_new_file(path, "r");
        if (in == NULL) {
            ERR_raise(ERR_LIB_X509, ERR_R_SYS_LIB);
            goto done;
        }
        result = CTrustIndex_read_pem(in, contents);
        BIO_free(in);
    }
    if (result == 1 && contents->pending.count == 0 && sk_X509_CRL_num(contents->crls) == 0) {
        ERR_raise(ERR_LIB_X509, X509_R_NO_CERTIFICATE_OR_CRL_FOUND);
        result = 0;
    }
done:
    OPENSSL_free(spans);
    OPENSSL_free(decoded);
    OPENSSL_free(text);
    return result;
}

/// Loads `path` into `lookup`: 1, or 0 with nothing trusted from the file (all or nothing, as the eager loader).
static int CTrustIndex_load(X509_LOOKUP *lookup, const char *path) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    X509_STORE *store = X509_LOOKUP_get_store(lookup);
    CTrustIndex_contents contents = {0};
    if (path == NULL || index == NULL || store == NULL) return 0;
    int read = CTrustIndex_read(path, &contents);
    int ok = 0;
    if (read == -1) {
        CTrustIndex_contents_free(&contents);
        X509_LOOKUP *eager = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        return eager != NULL && X509_LOOKUP_load_file(eager, path, X509_FILETYPE_PEM) == 1;
    }
    if (read == 1) {
        ok = 1;
        for (int i = 0; ok && i < sk_X509_CRL_num(contents.crls); i++)
            ok = X509_STORE_add_crl(store, sk_X509_CRL_value(contents.crls, i));
        if (ok && CRYPTO_THREAD_write_lock(index->lock)) {
            ok = CTrustIndex_reserve(index, contents.pending.count);
            if (ok) {
                for (size_t i = 0; i < contents.pending.count; i++)
                    index->entries[index->count++] = contents.pending.entries[i];
                contents.pending.count = 0;  // the entries belong to the index now
            }
            CRYPTO_THREAD_unlock(index->lock);
        } else {
            ok = 0;
        }
    }
    CTrustIndex_contents_free(&contents);
    return ok;
}

X509_LOOKUP *CTrustIndex_store_load_file(X509_STORE *store, const char *path) {
    X509_LOOKUP_METHOD *method = CTrustIndex_method();
    X509_LOOKUP *lookup = method != NULL ? X509_STORE_add_lookup(store, method) : NULL;
    if (lookup == NULL || path == NULL || !CTrustIndex_load(lookup, path)) return NULL;
    return lookup;
}

X509_LOOKUP *CTrustIndex_store_set_default_paths(X509_STORE *store, const char *file, const char *directory) {
    // The order and the lookups of X509_STORE_set_default_paths_ex (OpenSSL 3.0): the file, then the hashed
    // directory, then the directory as an OSSL_STORE URI; every loading error is ignored.
    X509_LOOKUP_METHOD *method = CTrustIndex_method();
    X509_LOOKUP *lookup = method != NULL ? X509_STORE_add_lookup(store, method) : NULL;
    if (lookup == NULL) return NULL;
    (void)CTrustIndex_load(lookup, file);
    X509_LOOKUP *hashed = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    if (hashed == NULL) return NULL;
    (void)X509_LOOKUP_add_dir(hashed, directory, X509_FILETYPE_PEM);
    X509_LOOKUP *uri = X509_STORE_add_lookup(store, X509_LOOKUP_store());
    if (uri == NULL) return NULL;
    (void)X509_LOOKUP_add_store(uri, directory);
    ERR_clear_error();
    return lookup;
}

long CTrustIndex_lookup_indexed_count(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    if (index == NULL || !CRYPTO_THREAD_read_lock(index->lock)) return 0;
    long count = (long)index->count;
    CRYPTO_THREAD_unlock(index->lock);
    return count;
}

long CTrustIndex_lookup_parsed_count(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    if (index == NULL || !CRYPTO_THREAD_read_lock(index->lock)) return 0;
    long parsed = index->parsed;
    CRYPTO_THREAD_unlock(index->lock);
    return parsed;
}

int CTrustIndex_lookup_failed(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    if (index == NULL || !CRYPTO_THREAD_read_lock(index->lock)) return 0;
    int failed = index->failed;
    CRYPTO_THREAD_unlock(index->lock);
    return failed;
}

int CTrustIndex_lookup_resolve_all(X509_LOOKUP *lookup) {
    CTrustIndex_index *index = X509_LOOKUP_get_method_data(lookup);
    X509_STORE *store = X509_LOOKUP_get_store(lookup);
    X509_STORE_CTX *context = X509_STORE_CTX_new();
    if (index == NULL || store == NULL || context == NULL || !X509_STORE_CTX_init(context, store, NULL, NULL)) {
        X509_STORE_CTX_free(context);
        return 0;
    }
    for (size_t i = 0;; i++) {
        if (!CRYPTO_THREAD_read_lock(index->lock)) break;
        X509_NAME *subject = i < index->count ? X509_NAME_dup(index->entries[i].subject) : NULL;
        CRYPTO_THREAD_unlock(index->lock);
        if (subject == NULL) break;
        // Through the store, as chain building asks it (X509_STORE_CTX_get1_issuer, get1_certs): the store answers
        // from what it holds and asks its lookups only for a subject it holds nothing of.
        sk_X509_pop_free(X509_STORE_CTX_get1_certs(context, subject), X509_free);
        X509_NAME_free(subject);
    }
    X509_STORE_CTX_free(context);
    ERR_clear_error();
    return CTrustIndex_lookup_failed(lookup);
}

const char *CTrustIndex_secure_getenv(const char *name) { return secure_getenv(name); }
