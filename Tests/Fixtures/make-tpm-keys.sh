#!/usr/bin/env bash
# make-tpm-keys.sh DIR PKI: on the software TPM that TPM2TOOLS_TCTI and TPM2OPENSSL_TCTI name, makes
#   - an EC P-256 key persisted at handle 0x81000001, no password (tpm2-tools), certificate handle.pem;
#   - an RSA-2048 TSS2 PRIVATE KEY file tss2-rsa.key with password "s3cret" (tpm2 OpenSSL provider),
#     certificate tss2-rsa.pem;
# both certificates issued by the fixture PKI's root-rsa, subject OU=web (the web-reader role's condition).
set -euo pipefail
dir=$1 pki=$2
cd "$dir"
# Without a resource manager each tpm2-tools command leaves its transient objects loaded; the TPM holds 3.
tpm2_createprimary -Q -C o -g sha256 -G ecc -c primary.ctx
tpm2_flushcontext -t
tpm2_create -Q -C primary.ctx -G ecc256 -u handle.pub -r handle.priv
tpm2_flushcontext -t
tpm2_load -Q -C primary.ctx -u handle.pub -r handle.priv -c handle.ctx
tpm2_evictcontrol -Q -C o -c handle.ctx 0x81000001
tpm2_flushcontext -t
openssl genpkey -provider tpm2 -provider default -algorithm RSA -pkeyopt bits:2048 -pkeyopt user-auth:s3cret \
    -out tss2-rsa.key 2>/dev/null
cat >ext.cnf <<X
[ ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
X
issue() {  # issue NAME KEY [openssl req options]
    local name=$1 key=$2
    shift 2
    openssl req -new -provider tpm2 -provider default -key "$key" "$@" \
        -subj "/C=US/O=Anchorage Test/OU=web/CN=$name" -out "$name.csr"
    openssl x509 -req -in "$name.csr" -CA "$pki/certs/root-rsa.pem" -CAkey "$pki/keys/root-rsa.key" \
        -set_serial "0x$(openssl rand -hex 12)" -days 2 -sha256 -extfile ext.cnf -extensions ext -out "$name.pem" \
        2>/dev/null
}
issue handle handle:0x81000001
issue tss2-rsa tss2-rsa.key -passin pass:s3cret
