#!/usr/bin/env bash
# make-pki.sh OUTDIR — generate the Anchorage test PKI (keys, certificates, CRL).
#
# Private keys are never committed: every test run generates its own PKI with this script.
# Idempotent: does nothing when OUTDIR/.complete exists. Concurrent callers are serialised by
# a lock on OUTDIR.lock (flock when available, else a mkdir lock). The tree is built in a
# scratch directory and renamed into place, so OUTDIR is either absent or complete.
# Requires only bash and the openssl 3.x CLI. See Tests/Fixtures/README.md for every file.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
OUT=$1
[ -f "$OUT/.complete" ] && exit 0

mkdir -p "$(dirname "$OUT")"
LOCK="$OUT.lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK"
    flock 9
else
    until mkdir "$LOCK.d" 2>/dev/null; do sleep 0.1; done
    trap 'rmdir "$LOCK.d" 2>/dev/null || true' EXIT
fi
[ -f "$OUT/.complete" ] && exit 0
rm -rf "$OUT"

W=$(mktemp -d "$OUT.partial.XXXXXX")
cleanup_partial() { rm -rf "$W"; }
trap 'cleanup_partial; rmdir "$LOCK.d" 2>/dev/null || true' EXIT
mkdir -p "$W/certs" "$W/keys" "$W/crls" "$W/serials" "$W/ca" "$W/csr"
umask 077

CA_START=20240101000000Z
CA_END=20460101000000Z
LEAF_START=20250101000000Z
LEAF_END=20450101000000Z
SUBJ_BASE="/C=US/O=Anchorage Test"

ossl() { openssl "$@" 2>"$W/openssl.err" || { cat "$W/openssl.err" >&2; echo "make-pki.sh: openssl $1 failed" >&2; exit 1; }; }

# --- keys -------------------------------------------------------------------------------------
key_ec()  { ossl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -pkeyopt ec_param_enc:named_curve -out "$W/keys/$1.key"; }
key_rsa() { ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$W/keys/$1.key"; }

# --- a minimal `openssl ca` setup per issuing CA ------------------------------------------------
# new_ca NAME: database + config for CA NAME (its cert/key are certs/NAME.pem, keys/NAME.key).
new_ca() {
    local d="$W/ca/$1"
    mkdir -p "$d/newcerts"
    : >"$d/index.txt"
    echo "unique_subject = no" >"$d/index.txt.attr"
    echo 1000 >"$d/crlnumber"
    cat >"$d/openssl.cnf" <<CNF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir            = $d
database       = \$dir/index.txt
new_certs_dir  = \$dir/newcerts
serial         = \$dir/serial
crlnumber      = \$dir/crlnumber
certificate    = $W/certs/$1.pem
private_key    = $W/keys/$1.key
default_md     = sha256
default_crl_days = 7000
policy         = policy_any
unique_subject = no
copy_extensions = none
email_in_dn    = no
name_opt       = ca_default
cert_opt       = ca_default
[ policy_any ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = optional
emailAddress           = optional
[ crl_ext ]
authorityKeyIdentifier = keyid:always
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
CNF
}

# random 16-byte serial whose first nibble is 1..7: always exactly 16 octets, positive, and its
# lowercase hex has no leading zero.
rand_serial_hex() {
    local first rest
    first=$(( ( $(od -An -N1 -tu1 /dev/urandom) % 7 ) + 1 ))
    rest=$(openssl rand -hex 16 | cut -c2-)
    echo "${first}${rest}"
}

# sign NAME ISSUER SUBJECT EXTFILE START END [MD]  (ISSUER == NAME means self-signed)
sign() {
    local name=$1 issuer=$2 subj=$3 ext=$4 start=$5 end=$6 md=${7:-sha256}
    local cadir="$W/ca/$issuer" serial
    serial=$(rand_serial_hex)
    echo "$serial" >"$cadir/serial"
    ossl req -new -key "$W/keys/$name.key" -subj "$subj" -out "$W/csr/$name.csr" -config "$cadir/openssl.cnf"
    local self=()
    if [ "$name" = "$issuer" ]; then self=(-selfsign); fi
    ossl ca -batch -notext -config "$cadir/openssl.cnf" "${self[@]}" \
        -in "$W/csr/$name.csr" -out "$W/certs/$name.pem" -subj "$subj" -preserveDN \
        -startdate "$start" -enddate "$end" -md "$md" -extfile "$ext" -extensions ext
    echo "$serial" >"$W/serials/$name.hex"
    # decimal serial (arbitrary precision via bash is not enough for 128 bits: use openssl's view)
    python3_free_dec "$serial" >"$W/serials/$name.dec"
}

# hex -> decimal without python/bc: long division in bash on 4-bit digits.
python3_free_dec() {
    local hex=${1^^} digits=(0) i d carry j v
    for ((i = 0; i < ${#hex}; i++)); do
        d=$((16#${hex:i:1}))
        carry=$d
        for ((j = ${#digits[@]} - 1; j >= 0; j--)); do
            v=$((digits[j] * 16 + carry))
            digits[j]=$((v % 10))
            carry=$((v / 10))
        done
        while ((carry > 0)); do
            digits=($((carry % 10)) "${digits[@]}")
            carry=$((carry / 10))
        done
    done
    local s
    s=$(printf "%s" "${digits[@]}")
    s=${s#"${s%%[!0]*}"}
    echo "${s:-0}"
}

# --- extension files ----------------------------------------------------------------------------
ext_ca() {  # ext_ca FILE [pathlen]
    {
        echo "[ ext ]"
        if [ -n "${2:-}" ]; then
            echo "basicConstraints = critical, CA:TRUE, pathlen:$2"
        else
            echo "basicConstraints = critical, CA:TRUE"
        fi
        echo "keyUsage = critical, keyCertSign, cRLSign"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid:always"
    } >"$1"
}
ext_leaf() {  # ext_leaf FILE NAME [basicConstraints] [keyUsage]
    local bc=${3:-"critical, CA:FALSE"} ku=${4:-"critical, digitalSignature"}
    cat >"$1" <<X
[ ext ]
basicConstraints = $bc
keyUsage = $ku
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:$2.example.test, URI:spiffe://example.test/$2
X
}
ext_server() {
    cat >"$1" <<X
[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = IP:127.0.0.1, DNS:localhost
X
}

E="$W/csr"

# --- CAs ----------------------------------------------------------------------------------------
key_rsa root-rsa 2048;   new_ca root-rsa;   ext_ca "$E/ca.ext"
sign root-rsa root-rsa "$SUBJ_BASE/OU=PKI/CN=Anchorage Test Root RSA" "$E/ca.ext" $CA_START $CA_END
key_ec root-ec P-384;    new_ca root-ec
sign root-ec root-ec "$SUBJ_BASE/OU=PKI/CN=Anchorage Test Root EC" "$E/ca.ext" $CA_START $CA_END sha384
key_ec other-root P-256; new_ca other-root
sign other-root other-root "/C=US/O=Somebody Else/CN=Unrelated Test Root" "$E/ca.ext" $CA_START $CA_END
key_ec intermediate-ec P-256; new_ca intermediate-ec; ext_ca "$E/int.ext" 0
sign intermediate-ec root-rsa "$SUBJ_BASE/OU=PKI/CN=Anchorage Test Intermediate EC" "$E/int.ext" $CA_START $CA_END

# --- server TLS certificate ---------------------------------------------------------------------
key_ec server P-256; ext_server "$E/server.ext"
sign server root-ec "$SUBJ_BASE/OU=Server/CN=localhost" "$E/server.ext" $LEAF_START $LEAF_END
cat "$W/certs/root-ec.pem" "$W/certs/root-rsa.pem" >"$W/certs/ca-bundle.pem"
cat "$W/certs/server.pem" >"$W/certs/server-fullchain.pem"

# --- leaves -------------------------------------------------------------------------------------
# leaf NAME KEYTYPE KEYPARAM ISSUER [START END MD BC KU SUBJECT]
leaf() {
    local name=$1 kt=$2 kp=$3 issuer=$4 start=${5:-$LEAF_START} end=${6:-$LEAF_END} md=${7:-sha256}
    local bc=${8:-"critical, CA:FALSE"} ku=${9:-"critical, digitalSignature"}
    local subj=${10:-"$SUBJ_BASE/OU=web/CN=$name"}
    if [ "$kt" = ec ]; then key_ec "$name" "$kp"; else key_rsa "$name" "$kp"; fi
    ext_leaf "$E/$name.ext" "$name" "$bc" "$ku"
    sign "$name" "$issuer" "$subj" "$E/$name.ext" "$start" "$end" "$md"
}

leaf leaf-ec-p256       ec  P-256 root-rsa
leaf leaf-rsa-2048      rsa 2048  root-rsa
leaf leaf-ec-p256-int   ec  P-256 intermediate-ec
leaf leaf-rsa-2048-int  rsa 2048  intermediate-ec
leaf leaf-ec-p384       ec  P-384 root-rsa
leaf leaf-ec-p521       ec  P-521 root-rsa
leaf leaf-multi-ou      ec  P-256 root-rsa "" "" "" "" "" "$SUBJ_BASE/OU=Security/OU=Engineering/OU=Research/CN=leaf-multi-ou"

# bad leaves
leaf leaf-expired       ec  P-256 root-rsa 20200101000000Z 20210101000000Z
leaf leaf-not-yet-valid ec  P-256 root-rsa 20440101000000Z 20450101000000Z
leaf leaf-ca            ec  P-256 root-rsa "" "" "" "critical, CA:TRUE" "critical, digitalSignature, keyCertSign, cRLSign"
leaf leaf-no-digitalsig rsa 2048  root-rsa "" "" "" "" "critical, keyEncipherment"
leaf leaf-sha1          ec  P-256 root-rsa "" "" sha1
leaf leaf-rsa-1024      rsa 1024  root-rsa
leaf leaf-unknown-ca    ec  P-256 other-root
leaf leaf-revoked       ec  P-256 root-rsa

# leaf-v1: an X.509 v1 certificate (no extensions at all). `openssl ca` writes v1 when no
# extensions are configured: use an empty extension section.
key_ec leaf-v1 P-256
printf '[ ext ]\n' >"$E/leaf-v1.ext"
sign leaf-v1 root-rsa "$SUBJ_BASE/OU=web/CN=leaf-v1" "$E/leaf-v1.ext" $LEAF_START $LEAF_END

# --- chains -------------------------------------------------------------------------------------
cp "$W/certs/intermediate-ec.pem" "$W/certs/chain-intermediate.pem"
cat "$W/certs/intermediate-ec.pem" "$W/certs/root-rsa.pem" >"$W/certs/chain-intermediate-root.pem"

# --- CRL for root-rsa: revokes leaf-revoked -------------------------------------------------------
CNF="$W/ca/root-rsa/openssl.cnf"
ossl ca -batch -config "$CNF" -revoke "$W/certs/leaf-revoked.pem" -crl_reason keyCompromise
# Pin the revocation date (2025-06-01) so that unit tests at a fixed clock see it as revoked.
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "R" { $3 = "250601000000Z,keyCompromise" } { print }' \
    "$W/ca/root-rsa/index.txt" >"$W/ca/root-rsa/index.txt.new"
mv "$W/ca/root-rsa/index.txt.new" "$W/ca/root-rsa/index.txt"
ossl ca -batch -config "$CNF" -gencrl -crlexts crl_ext -md sha256 \
    -crl_lastupdate 20250601000000Z -crl_nextupdate 20450101000000Z -out "$W/crls/root-rsa.crl.pem"
ossl crl -in "$W/crls/root-rsa.crl.pem" -outform DER -out "$W/crls/root-rsa.crl.der"

# an empty CRL for intermediate-ec (so CRL-per-issuer lookups have something valid to find)
ossl ca -batch -config "$W/ca/intermediate-ec/openssl.cnf" -gencrl -crlexts crl_ext -md sha256 \
    -crl_lastupdate 20250601000000Z -crl_nextupdate 20450101000000Z -out "$W/crls/intermediate-ec.crl.pem"

# --- finish -------------------------------------------------------------------------------------
# the `openssl ca` databases refer to the scratch path: drop them
rm -rf "$W/csr" "$W/ca" "$W/openssl.err"
chmod 755 "$W" "$W/certs" "$W/crls" "$W/serials"
chmod 644 "$W"/certs/* "$W"/crls/* "$W"/serials/*
chmod 700 "$W/keys"
chmod 600 "$W"/keys/*
date -u +%Y-%m-%dT%H:%M:%SZ >"$W/.complete"
mv "$W" "$OUT"
trap 'rmdir "$LOCK.d" 2>/dev/null || true' EXIT
