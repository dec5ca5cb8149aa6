/*
 * A fake PKCS#11 (v2.40) module with one token, "fake", for HelperPKCS11Tests: a token whose user PIN is
 * locked (SoftHSM2 keeps no PIN retry counter, so it cannot lock a token), and one that records whether a
 * PIN was offered at all. The test compiles it with `cc -shared -fPIC` into a temporary folder.
 *
 * FAKE_PKCS11_MODE (environment):
 *   flag   C_GetTokenInfo reports CKF_USER_PIN_LOCKED (and CKF_LOGIN_REQUIRED); C_Login says CKR_PIN_LOCKED.
 *   login  C_GetTokenInfo reports only CKF_LOGIN_REQUIRED; C_Login says CKR_PIN_LOCKED (tokens that only
 *          tell at the login).
 *   rv=N   like login, but C_Login returns N (decimal or 0x hex): e.g. CKR_PIN_INCORRECT, or a code the
 *          helper does not expect.
 *   slots, findcount, attrlen, signlen, signbig
 *          a token that needs no special login and holds a certificate object (its CKA_VALUE junk bytes)
 *          and an EC key object, with one count or length out of range: C_GetSlotList reports 2^62 slots;
 *          C_FindObjects more objects than asked for; C_GetAttributeValue a CKA_VALUE length of ~0 after
 *          filling the buffer; C_Sign a length of ~0, or of 5000 on success with a smaller buffer.
 *   initfail     C_Initialize returns CKR_GENERAL_ERROR.
 *   initialized  C_Initialize returns CKR_CRYPTOKI_ALREADY_INITIALIZED (another user of the module in the
 *                process initialised it), and the token works as in rv=0.
 *   nullentry    the function list's C_GetSlotList entry is NULL.
 *   labelfe      the token's label is "fak" and the byte 0xFE (not UTF-8); C_Login as in login.
 * FAKE_PKCS11_LOG (environment): a file that gets one line per call ("C_Login", ...), so a test can
 * tell whether the PIN was ever offered to the token; C_Login adds a line "pin=HEX" with the bytes it got.
 *
 * In the other modes the token holds no objects. Every function the helper does not need returns CKR_FUNCTION_NOT_SUPPORTED.
 * No vendor header: CK_ULONG is unsigned long and the structures are laid out by hand (LP64).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long CK_RV;
typedef unsigned long CK_ULONG;

#define CKR_OK 0x0UL
#define CKR_SLOT_ID_INVALID 0x3UL
#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x54UL
#define CKR_PIN_LOCKED 0xA4UL
#define CKR_SESSION_HANDLE_INVALID 0xB3UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL

#define CKF_LOGIN_REQUIRED 0x4UL
#define CKF_USER_PIN_INITIALIZED 0x8UL
#define CKF_TOKEN_INITIALIZED 0x400UL
#define CKF_USER_PIN_LOCKED 0x40000UL

#define SLOT 7UL
#define SESSION 42UL
#define CERT_OBJECT 10UL
#define KEY_OBJECT 20UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x12UL

struct token_info {
    unsigned char label[32], manufacturer[32], model[16], serial[16];
    CK_ULONG flags;
    CK_ULONG counts[10]; /* sessions, PIN lengths, memory */
    unsigned char hardware[2], firmware[2], utc[16];
};

static int initialized;
static CK_ULONG find_class;
static int find_done;

struct attribute {
    CK_ULONG type;
    void *value;
    CK_ULONG length;
};

static void note(const char *call) {
    const char *path = getenv("FAKE_PKCS11_LOG");
    if (!path) return;
    FILE *log = fopen(path, "a");
    if (!log) return;
    fprintf(log, "%s\n", call);
    fclose(log);
}

static const char *mode(void) {
    const char *value = getenv("FAKE_PKCS11_MODE");
    return value ? value : "flag";
}

/* The modes whose token holds objects and signs. */
static int with_objects(void) {
    const char *m = mode();
    return strcmp(m, "slots") == 0 || strcmp(m, "findcount") == 0 || strcmp(m, "attrlen") == 0
        || strcmp(m, "signlen") == 0 || strcmp(m, "signbig") == 0;
}

static void pad(unsigned char *field, size_t size, const char *text) {
    memset(field, ' ', size);
    memcpy(field, text, strlen(text) < size ? strlen(text) : size);
}

static CK_RV initialize(void *args) {
    (void)args;
    note("C_Initialize");
    if (strcmp(mode(), "initfail") == 0) return 0x5UL; /* CKR_GENERAL_ERROR */
    initialized = 1;
    if (strcmp(mode(), "initialized") == 0) return 0x191UL; /* CKR_CRYPTOKI_ALREADY_INITIALIZED */
    return CKR_OK;
}

static CK_RV finalize(void *reserved) {
    (void)reserved;
    note("C_Finalize");
    initialized = 0;
    return CKR_OK;
}

static CK_RV get_slot_list(unsigned char token_present, CK_ULONG *slots, CK_ULONG *count) {
    (void)token_present;
    note("C_GetSlotList");
    if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (!count) return CKR_ARGUMENTS_BAD;
    if (strcmp(mode(), "slots") == 0) {
        *count = (CK_ULONG)1 << 62;
        return CKR_OK;
    }
    if (slots) {
        if (*count < 1) {
            *count = 1;
            return CKR_BUFFER_TOO_SMALL;
        }
        slots[0] = SLOT;
    }
    *count = 1;
    return CKR_OK;
}

static CK_RV get_token_info(CK_ULONG slot, struct token_info *info) {
    note("C_GetTokenInfo");
    if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (slot != SLOT) return CKR_SLOT_ID_INVALID;
    if (!info) return CKR_ARGUMENTS_BAD;
    memset(info, 0, sizeof *info);
    pad(info->label, sizeof info->label, strcmp(mode(), "labelfe") == 0 ? "fak\xfe" : "fake");
    pad(info->manufacturer, sizeof info->manufacturer, "Anchorage tests");
    pad(info->model, sizeof info->model, "fake");
    pad(info->serial, sizeof info->serial, "0001");
    info->flags = CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
    if (!with_objects()) info->flags |= CKF_LOGIN_REQUIRED;
    if (strcmp(mode(), "flag") == 0) info->flags |= CKF_USER_PIN_LOCKED;
    return CKR_OK;
}

/* CK_SLOT_INFO: slotDescription[64], manufacturerID[32], flags, two versions. */
static CK_RV get_slot_info(CK_ULONG slot, unsigned char *info) {
    note("C_GetSlotInfo");
    if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (slot != SLOT) return CKR_SLOT_ID_INVALID;
    if (!info) return CKR_ARGUMENTS_BAD;
    memset(info, 0, 104);
    pad(info, 64, "fake slot");
    pad(info + 64, 32, "Anchorage tests");
    return CKR_OK;
}

static CK_RV open_session(CK_ULONG slot, CK_ULONG flags, void *application, void *notify, CK_ULONG *session) {
    (void)flags, (void)application, (void)notify;
    note("C_OpenSession");
    if (!initialized) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (slot != SLOT) return CKR_SLOT_ID_INVALID;
    if (!session) return CKR_ARGUMENTS_BAD;
    *session = SESSION;
    return CKR_OK;
}

static CK_RV close_session(CK_ULONG session) {
    note("C_CloseSession");
    return session == SESSION ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static CK_RV login(CK_ULONG session, CK_ULONG user_type, unsigned char *pin, CK_ULONG pin_length) {
    (void)user_type;
    note("C_Login");
    char line[2 * 256 + 5] = "pin=";
    for (CK_ULONG index = 0; pin && index < pin_length && index < 256; index++)
        snprintf(line + 4 + 2 * index, 3, "%02x", pin[index]);
    note(line);
    if (session != SESSION) return CKR_SESSION_HANDLE_INVALID;
    const char *m = mode();
    if (strncmp(m, "rv=", 3) == 0) return strtoul(m + 3, NULL, 0);
    return CKR_PIN_LOCKED;
}

static CK_RV find_objects_init(CK_ULONG session, struct attribute *template, CK_ULONG count) {
    note("C_FindObjectsInit");
    find_class = count > 0 && template[0].type == 0 && template[0].value ? *(CK_ULONG *)template[0].value : ~0UL;
    find_done = 0;
    return session == SESSION ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static CK_RV find_objects(CK_ULONG session, CK_ULONG *objects, CK_ULONG max, CK_ULONG *count) {
    note("C_FindObjects");
    if (session != SESSION) return CKR_SESSION_HANDLE_INVALID;
    if (!count) return CKR_ARGUMENTS_BAD;
    *count = 0;
    if (!with_objects() || find_done || max < 1) return CKR_OK;
    find_done = 1;
    if (strcmp(mode(), "findcount") == 0) {
        *count = ~0UL; /* more than the caller asked for (nothing is written past its buffer) */
        return CKR_OK;
    }
    if (find_class == 1) objects[0] = CERT_OBJECT;
    else if (find_class == 3) objects[0] = KEY_OBJECT;
    else return CKR_OK;
    *count = 1;
    return CKR_OK;
}

static CK_RV find_objects_final(CK_ULONG session) {
    note("C_FindObjectsFinal");
    return session == SESSION ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

static CK_RV get_attribute_value(CK_ULONG session, CK_ULONG object, struct attribute *template, CK_ULONG count) {
    static const unsigned char junk[16] = {0x30, 0x0e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    static const unsigned char id[1] = {1};
    static const CK_ULONG ec = 3; /* CKK_EC */
    note("C_GetAttributeValue");
    if (session != SESSION) return CKR_SESSION_HANDLE_INVALID;
    if (!template || count != 1) return CKR_ARGUMENTS_BAD;
    const void *value = NULL;
    CK_ULONG length = 0;
    if (object == CERT_OBJECT && template->type == 0x11) value = junk, length = sizeof junk;
    else if (object == CERT_OBJECT && template->type == 0x102) value = id, length = sizeof id;
    else if (object == CERT_OBJECT && template->type == 0x3) value = "x", length = 1;
    else if (object == KEY_OBJECT && template->type == 0x100) value = &ec, length = sizeof ec;
    else {
        template->length = ~0UL;
        return CKR_ATTRIBUTE_TYPE_INVALID;
    }
    if (!template->value) {
        template->length = length;
        return CKR_OK;
    }
    if (template->length < length) return CKR_BUFFER_TOO_SMALL;
    memcpy(template->value, value, length);
    template->length = length;
    if (strcmp(mode(), "attrlen") == 0 && object == CERT_OBJECT && template->type == 0x11) template->length = ~0UL;
    return CKR_OK;
}

static CK_RV sign_init(CK_ULONG session, void *mechanism, CK_ULONG key) {
    (void)mechanism;
    note("C_SignInit");
    if (session != SESSION) return CKR_SESSION_HANDLE_INVALID;
    return key == KEY_OBJECT ? CKR_OK : CKR_ARGUMENTS_BAD;
}

static CK_RV sign(CK_ULONG session, unsigned char *data, CK_ULONG data_length, unsigned char *signature,
    CK_ULONG *length) {
    (void)data, (void)data_length;
    note("C_Sign");
    if (session != SESSION) return CKR_SESSION_HANDLE_INVALID;
    if (!length) return CKR_ARGUMENTS_BAD;
    if (strcmp(mode(), "signlen") == 0) {
        *length = ~0UL;
        return CKR_OK;
    }
    if (strcmp(mode(), "signbig") == 0) {
        /* Success, and a length beyond the caller's buffer: only what fits is written. */
        if (signature) memset(signature, 1, *length < 5000 ? *length : 5000);
        *length = 5000;
        return CKR_OK;
    }
    if (!signature || *length < 64) {
        *length = 64;
        return signature ? CKR_BUFFER_TOO_SMALL : CKR_OK;
    }
    memset(signature, 1, 64);
    *length = 64;
    return CKR_OK;
}

/* Called through the list with whatever arguments the caller passes; the SysV calling conventions of
 * x86-64 and AArch64 let a function that takes none ignore them. */
static CK_RV not_supported(void) {
    note("unsupported");
    return CKR_FUNCTION_NOT_SUPPORTED;
}

/* CK_FUNCTION_LIST: a CK_VERSION, then the 68 functions of v2.40 in their fixed order. */
enum {
    F_INITIALIZE = 0, F_FINALIZE = 1, F_GET_FUNCTION_LIST = 3, F_GET_SLOT_LIST = 4, F_GET_SLOT_INFO = 5,
    F_GET_TOKEN_INFO = 6, F_OPEN_SESSION = 12, F_CLOSE_SESSION = 13, F_LOGIN = 18, F_GET_ATTRIBUTE_VALUE = 24,
    F_FIND_OBJECTS_INIT = 26, F_FIND_OBJECTS = 27, F_FIND_OBJECTS_FINAL = 28, F_SIGN_INIT = 42, F_SIGN = 43,
    F_COUNT = 68
};

struct function_list {
    unsigned char major, minor;
    void *functions[F_COUNT];
};

static struct function_list list;

CK_RV C_GetFunctionList(struct function_list **out) {
    if (!out) return CKR_ARGUMENTS_BAD;
    list.major = 2;
    list.minor = 40;
    for (int index = 0; index < F_COUNT; index++) list.functions[index] = (void *)not_supported;
    list.functions[F_INITIALIZE] = (void *)initialize;
    list.functions[F_FINALIZE] = (void *)finalize;
    list.functions[F_GET_FUNCTION_LIST] = (void *)C_GetFunctionList;
    list.functions[F_GET_SLOT_LIST] = (void *)get_slot_list;
    list.functions[F_GET_SLOT_INFO] = (void *)get_slot_info;
    list.functions[F_GET_TOKEN_INFO] = (void *)get_token_info;
    list.functions[F_GET_ATTRIBUTE_VALUE] = (void *)get_attribute_value;
    list.functions[F_SIGN_INIT] = (void *)sign_init;
    list.functions[F_SIGN] = (void *)sign;
    list.functions[F_OPEN_SESSION] = (void *)open_session;
    list.functions[F_CLOSE_SESSION] = (void *)close_session;
    list.functions[F_LOGIN] = (void *)login;
    list.functions[F_FIND_OBJECTS_INIT] = (void *)find_objects_init;
    list.functions[F_FIND_OBJECTS] = (void *)find_objects;
    list.functions[F_FIND_OBJECTS_FINAL] = (void *)find_objects_final;
    if (strcmp(mode(), "nullentry") == 0) list.functions[F_GET_SLOT_LIST] = NULL;
    *out = &list;
    return CKR_OK;
}
