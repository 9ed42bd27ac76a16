/*
 * gwctl test oracle: what OpenSSL (libcrypto, linked from the system) decides for an upstream
 * chain under nginx's proxy_ssl_verify profile. Mirrors libssl's ssl_verify_cert_chain():
 * store loaded like SSL_CTX_load_verify_locations(file), untrusted = the whole peer chain,
 * X509_STORE_CTX_set_default("ssl_server"), depth, auth (security) level 2, a verify callback
 * that always continues (as ngx_ssl_verify_callback does), then nginx's X509_check_host(flags 0)
 * only when the result is X509_V_OK.
 *
 * usage: openssl-reference [--crl CRL.pem] TRUSTED.pem CHAIN.pem DEPTH EPOCH_SECONDS [NAME]
 *        --crl loads the file into the store as ngx_ssl_crl() does (X509_LOOKUP_file, PEM) and
 *        sets X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL on the store, as proxy_ssl_crl does.
 *        openssl-reference --strings      (prints the verify error strings 0..127 as JSON)
 *        openssl-reference --rsa-bits FROM TO   (RSA_security_bits() of an n-bit modulus, n = FROM..TO)
 *        openssl-reference --sigids       (every signature NID OBJ_find_sigid_algs() maps: OID, digest and pkey short names)
 *        openssl-reference --siginfo FILE (X509_get_signature_info() security bits of each certificate in FILE)
 * prints one JSON object on stdout.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* RSA_security_bits(): the --rsa-bits table */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/rsa.h>
#include <openssl/objects.h>
#include <openssl/evp.h>

#define MAX_SEEN 256
static int seen_code[MAX_SEEN], seen_depth[MAX_SEEN], seen_n = 0;

static int record_cb(int ok, X509_STORE_CTX *ctx)
{
    if (!ok && seen_n < MAX_SEEN) {
        seen_code[seen_n] = X509_STORE_CTX_get_error(ctx);
        seen_depth[seen_n] = X509_STORE_CTX_get_error_depth(ctx);
        seen_n++;
    }
    return 1; /* ngx_ssl_verify_callback always returns 1 */
}

static void json_string(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_name(const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(b, &data);
    json_string(data, (size_t)n);
    BIO_free(b);
}

static void print_fingerprint(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    X509_digest(x, EVP_sha256(), md, &n);
    putchar('"');
    for (i = 0; i < n; i++) printf("%02x", md[i]);
    putchar('"');
}

static STACK_OF(X509) *read_chain(const char *file)
{
    BIO *in = BIO_new_file(file, "r");
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    if (in == NULL) return NULL;
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) sk_X509_push(sk, x);
    /* A block that does not parse is an error (the handshake would fail); EOF is not. */
    unsigned long e = ERR_peek_last_error();
    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        sk_X509_pop_free(sk, X509_free);
        sk = NULL;
    }
    ERR_clear_error();
    BIO_free(in);
    return sk;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--strings") == 0) {
        printf("{");
        for (int i = 0; i < 128; i++) {
            printf("%s\"%d\":", i ? "," : "", i);
            const char *s = X509_verify_cert_error_string(i);
            json_string(s, strlen(s));
        }
        printf("}\n");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "--rsa-bits") == 0) {
        printf("{");
        for (int n = atoi(argv[2]); n <= atoi(argv[3]); n++) {
            RSA *r = RSA_new();
            BIGNUM *N = BN_new(), *E = BN_new();
            BN_set_bit(N, n - 1);
            BN_set_bit(N, 0);
            BN_set_word(E, 65537);
            RSA_set0_key(r, N, E, NULL);
            printf("%s\"%d\":%d", n == atoi(argv[2]) ? "" : ",", n, RSA_security_bits(r));
            RSA_free(r);
        }
        printf("}\n");
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--sigids") == 0) {
        char oid[128];
        int first = 1;
        printf("[");
        for (int nid = 1; nid < 4096; nid++) {
            int md = 0, pk = 0;
            ASN1_OBJECT *o;
            if (!OBJ_find_sigid_algs(nid, &md, &pk) || (o = OBJ_nid2obj(nid)) == NULL) continue;
            OBJ_obj2txt(oid, sizeof oid, o, 1);
            printf("%s{\"oid\":\"%s\",\"md\":\"%s\",\"pk\":\"%s\"}", first ? "" : ",", oid, md ? OBJ_nid2sn(md) : "", pk ? OBJ_nid2sn(pk) : "");
            first = 0;
        }
        printf("]\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--siginfo") == 0) {
        STACK_OF(X509) *certs = read_chain(argv[2]);
        printf("[");
        for (int i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
            int secbits = -1;
            X509_get_signature_info(sk_X509_value(certs, i), NULL, NULL, &secbits, NULL);
            printf("%s%d", i ? "," : "", secbits);
        }
        printf("]\n");
        return 0;
    }
    const char *crl = NULL;
    if (argc > 2 && strcmp(argv[1], "--crl") == 0) {
        crl = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: %s TRUSTED CHAIN DEPTH EPOCH [NAME]\n", argv[0]);
        return 2;
    }
    const char *name = argc > 5 ? argv[5] : NULL;
    X509_STORE *store = X509_STORE_new();
    if (!X509_STORE_load_file(store, argv[1])) {
        printf("{\"loadError\":\"trusted\"}\n");
        return 0;
    }
    if (crl != NULL) {
        /* ngx_ssl_crl(): X509_STORE_add_lookup(file), X509_LOOKUP_load_file(PEM), then the flags. */
        X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        if (lookup == NULL || X509_LOOKUP_load_file(lookup, crl, X509_FILETYPE_PEM) == 0) {
            printf("{\"loadError\":\"crl\"}\n");
            return 0;
        }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    STACK_OF(X509) *chain = read_chain(argv[2]);
    if (chain == NULL || sk_X509_num(chain) == 0) {
        printf("{\"loadError\":\"chain\"}\n");
        return 0;
    }
    X509 *leaf = sk_X509_value(chain, 0);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    /* libssl passes the whole peer chain, leaf included, as the untrusted stack. */
    X509_STORE_CTX_init(ctx, store, leaf, chain);
    X509_STORE_CTX_set_default(ctx, "ssl_server");
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_depth(param, atoi(argv[3]));
    X509_VERIFY_PARAM_set_auth_level(param, 2);
    X509_VERIFY_PARAM_set_time(param, (time_t)strtoll(argv[4], NULL, 10));
    X509_STORE_CTX_set_verify_cb(ctx, record_cb);
    int ret = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    int host = -99;
    if (err == X509_V_OK && name != NULL)
        host = X509_check_host(leaf, name, strlen(name), 0, NULL);

    printf("{\"ret\":%d,\"error\":%d,\"reason\":", ret, err);
    const char *reason = X509_verify_cert_error_string(err);
    json_string(reason, strlen(reason));
    printf(",\"errorDepth\":%d,\"seen\":[", X509_STORE_CTX_get_error_depth(ctx));
    for (int i = 0; i < seen_n; i++) printf("%s[%d,%d]", i ? "," : "", seen_code[i], seen_depth[i]);
    printf("],\"chain\":[");
    STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
    for (int i = 0; i < sk_X509_num(built); i++) {
        if (i) putchar(',');
        print_name(X509_get_subject_name(sk_X509_value(built, i)));
    }
    printf("],\"fingerprints\":[");
    for (int i = 0; i < sk_X509_num(built); i++) {
        if (i) putchar(',');
        print_fingerprint(sk_X509_value(built, i));
    }
    printf("],\"host\":%d}\n", host);
    return 0;
}
