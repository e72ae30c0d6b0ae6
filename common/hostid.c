/* Host identities: RSA/ECDSA key pairs, HI encoding (RFC 7401 5.2.9), HITs, PEM storage
 * and HIP_SIGNATURE signing (5.2.14). Not DH, KEYMAT or any other session cryptography. */
#include "hostid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "cursor.h"
#include "hit.h"
#include "log.h"

#define HI_ALG_RSA	   5
#define HI_ALG_ECDSA	   7
#define RSA_DEFAULT_BITS   3072
#define RSA_MIN_BITS	   2048
#define RSA_MAX_GEN_BITS   8000
#define RSA_PUBLIC_EXP	   65537
#define RSA_MAX_E_BYTES	   8 /* OpenSSL refuses exponents over 64 bits anyway */
#define EC_MAX_COORD	   48
#define KEYFILE_MAX	   (64 * 1024)
#define ECDSA_DER_SIG_MAX  (2 * EC_MAX_COORD + 16)
#define UNCOMPRESSED_POINT 0x04

struct kind_info {
	enum hostid_kind kind;
	const char *name;
	uint16_t algorithm;
	uint8_t suite;
	uint16_t curve;	   /* ECC Curve of the HI; 0 for RSA */
	const char *group; /* OpenSSL group name */
	const char *alias; /* the group's other OpenSSL name */
	size_t coord_len;  /* bytes of one coordinate (and of r, s) */
	const char *md;	   /* signature hash: the HIT suite's hash */
};

static const struct kind_info kinds[] = {
    {HOSTID_RSA, "rsa", HI_ALG_RSA, 1, 0, NULL, NULL, 0, "SHA256"},
    {HOSTID_ECDSA_P256, "ecdsa-p256", HI_ALG_ECDSA, 2, 1, "P-256", "prime256v1", 32, "SHA384"},
    {HOSTID_ECDSA_P384, "ecdsa-p384", HI_ALG_ECDSA, 2, 2, "P-384", "secp384r1", 48, "SHA384"},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct kind_info *kind_info(enum hostid_kind kind)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

static const struct kind_info *kind_by_curve(uint16_t curve)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (kinds[i].curve && kinds[i].curve == curve)
			return &kinds[i];
	return NULL;
}

static const struct kind_info *kind_by_group(const char *group)
{
	for (size_t i = 0; i < NKINDS; i++) {
		if (!kinds[i].group)
			continue;
		if (!strcmp(kinds[i].group, group) || !strcmp(kinds[i].alias, group))
			return &kinds[i];
	}
	return NULL;
}

int hostid_kind_parse(const char *s, enum hostid_kind *kind)
{
	for (size_t i = 0; s && i < NKINDS; i++) {
		if (!strcmp(kinds[i].name, s)) {
			*kind = kinds[i].kind;
			return 0;
		}
	}
	return -EINVAL;
}

const char *hostid_kind_name(enum hostid_kind kind)
{
	const struct kind_info *k = kind_info(kind);

	return k ? k->name : "unknown";
}

/* ---- HI encoding, RFC 7401 5.2.9 ---- */

/* RFC 3110 section 2: exponent length (1 octet, or 0 and 2 octets above 255), e, n. */
static int rsa_encode_hi(EVP_PKEY *pkey, struct wbuf *w)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t *p;
	int err = -EIO;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	int elen = BN_num_bytes(e), nlen = BN_num_bytes(n);

	err = -EINVAL;
	if (elen < 1 || elen > RSA_MAX_E_BYTES || nlen < RSA_MIN_BITS / 8)
		goto out;
	wbuf_u8(w, (uint8_t)elen);
	if (!wbuf_reserve(w, (size_t)elen, &p))
		BN_bn2bin(e, p);
	if (!wbuf_reserve(w, (size_t)nlen, &p))
		BN_bn2bin(n, p);
	err = wbuf_error(w);
out:
	BN_free(n);
	BN_free(e);
	return err;
}

/* ECC Curve, then the public key as an uncompressed octet string 0x04 | x | y. */
static int ec_encode_hi(const struct kind_info *k, EVP_PKEY *pkey, struct wbuf *w)
{
	BIGNUM *x = NULL, *y = NULL;
	uint8_t *p;
	int err = -EIO;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
		goto out;
	wbuf_u16(w, k->curve);
	wbuf_u8(w, UNCOMPRESSED_POINT);
	if (!wbuf_reserve(w, k->coord_len, &p) && BN_bn2binpad(x, p, (int)k->coord_len) < 0)
		goto out;
	if (!wbuf_reserve(w, k->coord_len, &p) && BN_bn2binpad(y, p, (int)k->coord_len) < 0)
		goto out;
	err = wbuf_error(w);
out:
	BN_free(x);
	BN_free(y);
	return err;
}

static int encode_hi(struct hostid *id)
{
	const struct kind_info *k = kind_info(id->kind);
	struct wbuf w;
	int err;

	wbuf_init(&w, id->hi, sizeof(id->hi));
	if (id->kind == HOSTID_RSA)
		err = rsa_encode_hi(id->pkey, &w);
	else
		err = ec_encode_hi(k, id->pkey, &w);
	if (err)
		return err == -ENOBUFS ? -EINVAL : err;
	id->hi_len = w.len;
	id->algorithm = k->algorithm;
	id->suite = k->suite;
	return hit_from_hi(id->suite, id->hi, id->hi_len, &id->hit);
}

/* Takes ownership of pkey, also on failure. */
static int hostid_wrap(EVP_PKEY *pkey, enum hostid_kind kind, bool has_private, struct hostid **out)
{
	struct hostid *id = calloc(1, sizeof(*id));
	int err;

	if (!id) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	id->pkey = pkey;
	id->kind = kind;
	id->has_private = has_private;
	err = encode_hi(id);
	if (err) {
		hostid_free(id);
		return err;
	}
	*out = id;
	return 0;
}

void hostid_free(struct hostid *id)
{
	if (!id)
		return;
	EVP_PKEY_free(id->pkey);
	free(id);
}

/* ---- generation ---- */

/* A new key of algorithm alg with the given parameters, or NULL. */
static EVP_PKEY *keygen(const char *alg, const OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_params(ctx, params) > 0)
		EVP_PKEY_generate(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *generate_rsa(unsigned int bits)
{
	unsigned int e = RSA_PUBLIC_EXP;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &bits),
	    OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e),
	    OSSL_PARAM_construct_end(),
	};

	return keygen("RSA", params);
}

static EVP_PKEY *generate_ec(const char *group)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
	    OSSL_PARAM_construct_end(),
	};

	return keygen("EC", params);
}

int hostid_generate(enum hostid_kind kind, int rsa_bits, struct hostid **out)
{
	const struct kind_info *k = kind_info(kind);
	EVP_PKEY *pkey;

	if (!k || !out)
		return -EINVAL;
	if (kind == HOSTID_RSA) {
		if (rsa_bits == 0)
			rsa_bits = RSA_DEFAULT_BITS;
		if (rsa_bits < RSA_MIN_BITS || rsa_bits > RSA_MAX_GEN_BITS)
			return -EINVAL;
		pkey = generate_rsa((unsigned int)rsa_bits);
	} else {
		pkey = generate_ec(k->group);
	}
	if (!pkey) {
		ERR_clear_error();
		return -EIO;
	}
	return hostid_wrap(pkey, kind, true, out);
}

/* ---- PEM storage ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	int fd, err = 0;

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	if (!slash)
		strcpy(dir, ".");
	else if (n == 0)
		strcpy(dir, "/");
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Temp file in the same directory, mode 0600, fsync, rename over path, fsync the directory. */
static int write_file_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, S_IRUSR | S_IWUSR) < 0)
		err = -errno;
	if (!err)
		err = write_all(fd, buf, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_parent_dir(path);
}

int hostid_save(const struct hostid *id, const char *path)
{
	BIO *mem;
	char *pem = NULL;
	long pem_len;
	int err;

	if (!id || !path || !id->has_private)
		return -EINVAL;
	mem = BIO_new(BIO_s_secmem());
	if (!mem)
		return -ENOMEM;
	if (!PEM_write_bio_PrivateKey(mem, id->pkey, NULL, NULL, 0, NULL, NULL)) {
		ERR_clear_error();
		BIO_free(mem);
		return -EIO;
	}
	pem_len = BIO_get_mem_data(mem, &pem);
	err = pem_len > 0 ? write_file_atomic(path, pem, (size_t)pem_len) : -EIO;
	BIO_free(mem);
	if (err)
		log_err("host key %s: cannot save: %s", path, strerror(-err));
	return err;
}

static int check_key_file(const char *path, int fd, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		log_err("host key %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		log_err("host key %s: refused: mode %04o gives group/others access to a private "
			"key; run 'chmod 600 %s'",
			path, (unsigned int)(st.st_mode & 07777), path);
		return -EACCES;
	}
	if (st.st_size <= 0 || st.st_size > KEYFILE_MAX) {
		log_err("host key %s: size %lld is not that of a PEM key", path,
			(long long)st.st_size);
		return -EINVAL;
	}
	*size = (size_t)st.st_size;
	return 0;
}

static int read_key_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t size = 0, got = 0;
	int err;

	if (fd < 0) {
		err = -errno;
		log_err("host key %s: cannot open: %s", path, strerror(-err));
		return err;
	}
	err = check_key_file(path, fd, &size);
	*buf = err ? NULL : OPENSSL_secure_malloc(size);
	if (!err && !*buf)
		err = -ENOMEM;
	while (!err && got < size) {
		ssize_t n = read(fd, *buf + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
		else
			got += (size_t)n;
	}
	close(fd);
	if (err) {
		OPENSSL_secure_clear_free(*buf, size);
		*buf = NULL;
		return err;
	}
	*len = size;
	return 0;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int pkey_kind(EVP_PKEY *pkey, enum hostid_kind *kind)
{
	char group[64];
	size_t glen = 0;
	const struct kind_info *k;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS)
			return -EINVAL;
		*kind = HOSTID_RSA;
		return 0;
	}
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return -EOPNOTSUPP;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    &glen))
		return -EOPNOTSUPP;
	k = kind_by_group(group);
	if (!k)
		return -EOPNOTSUPP;
	*kind = k->kind;
	return 0;
}

/* The private key in the PEM text pem (len bytes); who names it in messages. */
static int from_pem(const char *who, const uint8_t *pem, size_t len, struct hostid **out)
{
	EVP_PKEY *pkey = NULL;
	enum hostid_kind kind;
	BIO *bio;
	int err;

	if (len == 0 || len > KEYFILE_MAX) {
		log_err("host key %s: size %zu is not that of a PEM key", who, len);
		return -EINVAL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey) {
		ERR_clear_error();
		log_err("host key %s: not an unencrypted PEM private key", who);
		return -EINVAL;
	}
	err = pkey_kind(pkey, &kind);
	if (err) {
		log_err("host key %s: unsupported key type or size (RSA >= %d bits, ECDSA P-256 "
			"or P-384)",
			who, RSA_MIN_BITS);
		EVP_PKEY_free(pkey);
		return err;
	}
	return hostid_wrap(pkey, kind, true, out);
}

int hostid_load(const char *path, struct hostid **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!path || !out)
		return -EINVAL;
	err = read_key_file(path, &buf, &len);
	if (err)
		return err;
	err = from_pem(path, buf, len, out);
	OPENSSL_secure_clear_free(buf, len);
	return err;
}

int hostid_from_pem(const char *who, const char *pem, size_t len, struct hostid **out)
{
	if (!who || !pem || !out)
		return -EINVAL;
	return from_pem(who, (const uint8_t *)pem, len, out);
}

/* ---- a peer's HI (untrusted bytes) ---- */

static EVP_PKEY *pkey_from_params(const char *type, const OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *rsa_pkey(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (bld && bn && be && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params)
		pkey = pkey_from_params("RSA", params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

/* RFC 3110 section 2 as used by RFC 7401 5.2.9: canonical length, no leading zeros. */
static int rsa_from_hi(struct cursor *c, EVP_PKEY **out)
{
	uint8_t len8;
	uint16_t len16;
	size_t elen, nlen;
	const uint8_t *e, *n;

	if (cur_u8(c, &len8))
		return -EBADMSG;
	elen = len8;
	if (len8 == 0) {
		if (cur_u16(c, &len16) || len16 <= 255)
			return -EBADMSG; /* the 3-octet form is for lengths over 255 only */
		elen = len16;
	}
	if (elen > RSA_MAX_E_BYTES || cur_view(c, elen, &e))
		return -EBADMSG;
	nlen = cur_left(c);
	if (cur_view(c, nlen, &n))
		return -EBADMSG;
	if (e[0] == 0 || !(e[elen - 1] & 1) || (elen == 1 && e[0] < 3))
		return -EBADMSG;
	if (nlen < RSA_MIN_BITS / 8 || n[0] == 0 || !(n[nlen - 1] & 1))
		return -EBADMSG;
	*out = rsa_pkey(n, nlen, e, elen);
	return *out ? 0 : -EBADMSG;
}

/* The point is on the curve and not at infinity. P-256 and P-384 have cofactor 1, so
 * this is complete; the full check would add a costly n*Q = O for nothing. */
static bool pkey_public_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool ok = ctx && EVP_PKEY_public_check_quick(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* ECC Curve (1: P-256, 2: P-384), then 0x04 | x | y, a point on that curve. */
static int ec_from_hi(struct cursor *c, enum hostid_kind *kind, EVP_PKEY **out)
{
	const struct kind_info *k;
	const uint8_t *pub;
	uint16_t curve;
	size_t plen;

	if (cur_u16(c, &curve))
		return -EBADMSG;
	k = kind_by_curve(curve);
	if (!k)
		return -EBADMSG;
	plen = 1 + 2 * k->coord_len;
	if (cur_left(c) != plen || cur_view(c, plen, &pub) || pub[0] != UNCOMPRESSED_POINT)
		return -EBADMSG;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)k->group, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, plen),
	    OSSL_PARAM_construct_end(),
	};
	*out = pkey_from_params("EC", params);
	if (!*out)
		return -EBADMSG;
	if (!pkey_public_ok(*out)) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	*kind = k->kind;
	return 0;
}

static int parse_hi(uint16_t algorithm, const uint8_t *hi, size_t hi_len, struct hostid **out)
{
	struct hostid *id = NULL;
	enum hostid_kind kind = HOSTID_RSA;
	EVP_PKEY *pkey = NULL;
	struct cursor c;
	int err;

	cur_init(&c, hi, hi_len);
	if (algorithm == HI_ALG_RSA)
		err = rsa_from_hi(&c, &pkey);
	else if (algorithm == HI_ALG_ECDSA)
		err = ec_from_hi(&c, &kind, &pkey);
	else
		return -EOPNOTSUPP;
	if (err)
		return err;
	err = hostid_wrap(pkey, kind, false, &id);
	if (err)
		return err == -ENOMEM ? err : -EBADMSG;
	/* Only the canonical encoding of the key is accepted: it is what the HIT hashes. */
	if (id->hi_len != hi_len || memcmp(id->hi, hi, hi_len)) {
		hostid_free(id);
		return -EBADMSG;
	}
	*out = id;
	return 0;
}

int hostid_from_hi(uint16_t algorithm, const uint8_t *hi, size_t hi_len, struct hostid **out)
{
	int err;

	if (!out || (!hi && hi_len))
		return -EINVAL;
	*out = NULL;
	if (hi_len == 0 || hi_len > HOSTID_HI_MAX)
		return -EBADMSG;
	err = parse_hi(algorithm, hi, hi_len, out);
	if (err)
		ERR_clear_error();
	return err;
}

/* ---- HIP_SIGNATURE, RFC 7401 5.2.14 ---- */

uint16_t hostid_sig_algorithm(const struct hostid *id)
{
	return id->algorithm;
}

/* RSA: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt as long as the hash (accepted with any
 * salt length when verifying). ECDSA: the HIT suite's hash (SHA-384). */
static int sig_init(EVP_MD_CTX *ctx, const struct hostid *id, bool sign)
{
	const struct kind_info *k = kind_info(id->kind);
	OSSL_PARAM pss[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
					     OSSL_PKEY_RSA_PAD_MODE_PSS, 0),
	    OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, "SHA256", 0),
	    OSSL_PARAM_construct_utf8_string(
		OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
		sign ? OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST : OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO, 0),
	    OSSL_PARAM_construct_end(),
	};
	const OSSL_PARAM *params = id->kind == HOSTID_RSA ? pss : NULL;
	int ok;

	if (sign)
		ok = EVP_DigestSignInit_ex(ctx, NULL, k->md, NULL, NULL, id->pkey, params);
	else
		ok = EVP_DigestVerifyInit_ex(ctx, NULL, k->md, NULL, NULL, id->pkey, params);
	return ok == 1 ? 0 : -EIO;
}

/* DER ECDSA-Sig-Value -> r | s, each coord_len bytes (RFC 4754 section 7). */
static int ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t coord, uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r = NULL, *ss = NULL;
	int err = -EIO;

	if (!s)
		return -EIO;
	ECDSA_SIG_get0(s, &r, &ss);
	if (BN_bn2binpad(r, out, (int)coord) >= 0 && BN_bn2binpad(ss, out + coord, (int)coord) >= 0)
		err = 0;
	ECDSA_SIG_free(s);
	return err;
}

/* r | s -> DER, for OpenSSL's verifier. */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t coord, uint8_t *der, size_t cap,
			    size_t *der_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)coord, NULL);
	BIGNUM *ss = BN_bin2bn(raw + coord, (int)coord, NULL);
	unsigned char *p = der;
	int n;

	if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
		ECDSA_SIG_free(s);
		BN_free(r);
		BN_free(ss);
		return -ENOMEM;
	}
	n = i2d_ECDSA_SIG(s, NULL);
	if (n > 0 && (size_t)n <= cap)
		n = i2d_ECDSA_SIG(s, &p);
	else
		n = -1;
	ECDSA_SIG_free(s);
	if (n <= 0)
		return -EIO;
	*der_len = (size_t)n;
	return 0;
}

static int sign_rsa(EVP_MD_CTX *ctx, const struct hostid *id, const uint8_t *data, size_t len,
		    uint8_t *sig, size_t cap, size_t *sig_len)
{
	size_t n = (size_t)EVP_PKEY_get_size(id->pkey);

	if (n > cap)
		return -ENOBUFS;
	if (EVP_DigestSign(ctx, sig, &n, data, len) != 1)
		return -EIO;
	*sig_len = n;
	return 0;
}

static int sign_ecdsa(EVP_MD_CTX *ctx, const struct hostid *id, const uint8_t *data, size_t len,
		      uint8_t *sig, size_t cap, size_t *sig_len)
{
	size_t coord = kind_info(id->kind)->coord_len;
	uint8_t der[ECDSA_DER_SIG_MAX];
	size_t der_len = sizeof(der);
	int err;

	if (2 * coord > cap)
		return -ENOBUFS;
	if (EVP_DigestSign(ctx, der, &der_len, data, len) != 1)
		return -EIO;
	err = ecdsa_der_to_raw(der, der_len, coord, sig);
	if (!err)
		*sig_len = 2 * coord;
	return err;
}

int hostid_sign(const struct hostid *id, const uint8_t *data, size_t len, uint8_t *sig, size_t cap,
		size_t *sig_len)
{
	EVP_MD_CTX *ctx;
	int err;

	if (!id || !id->has_private || (!data && len) || !sig || !sig_len)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	err = sig_init(ctx, id, true);
	if (!err && id->kind == HOSTID_RSA)
		err = sign_rsa(ctx, id, data, len, sig, cap, sig_len);
	else if (!err)
		err = sign_ecdsa(ctx, id, data, len, sig, cap, sig_len);
	EVP_MD_CTX_free(ctx);
	if (err)
		ERR_clear_error();
	return err;
}

static int verify_with(EVP_MD_CTX *ctx, const struct hostid *id, const uint8_t *data, size_t len,
		       const uint8_t *sig, size_t sig_len)
{
	uint8_t der[ECDSA_DER_SIG_MAX];
	size_t der_len = 0;
	int err;

	if (id->kind == HOSTID_RSA) {
		if (sig_len != (size_t)EVP_PKEY_get_size(id->pkey))
			return -EBADMSG;
		return EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1 ? 0 : -EBADMSG;
	}
	size_t coord = kind_info(id->kind)->coord_len;

	if (sig_len != 2 * coord)
		return -EBADMSG;
	err = ecdsa_raw_to_der(sig, coord, der, sizeof(der), &der_len);
	if (err)
		return err;
	return EVP_DigestVerify(ctx, der, der_len, data, len) == 1 ? 0 : -EBADMSG;
}

int hostid_verify(const struct hostid *id, const uint8_t *data, size_t len, const uint8_t *sig,
		  size_t sig_len)
{
	EVP_MD_CTX *ctx;
	int err;

	if (!id || (!data && len) || (!sig && sig_len))
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	err = sig_init(ctx, id, false);
	if (!err)
		err = verify_with(ctx, id, data, len, sig, sig_len);
	EVP_MD_CTX_free(ctx);
	if (err)
		ERR_clear_error();
	return err;
}
