/* Diffie-Hellman for the DIFFIE_HELLMAN parameter (RFC 7401 5.2.7): MODP groups 3, 4, 11 and
 * ECDH groups 7, 8 through EVP; public value encoding and Kij. Not KEYMAT (keymat.c). */
#include "hipcrypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "hipd/wire/hip_proto.h"

struct dh_group {
	uint8_t id;
	bool ec;
	const char *name; /* OpenSSL group name */
	size_t len;	  /* MODP: bytes of p; ECDH: bytes of one coordinate */
};

/* RFC 3526 MODP groups; RFC 5903 ECP groups (public value x | y, shared secret x). */
static const struct dh_group groups[] = {
    {HIP_DH_MODP_1536, false, "modp_1536", 192}, {HIP_DH_MODP_3072, false, "modp_3072", 384},
    {HIP_DH_MODP_2048, false, "modp_2048", 256}, {HIP_DH_NIST_P256, true, "P-256", 32},
    {HIP_DH_NIST_P384, true, "P-384", 48},
};

struct hip_dh {
	const struct dh_group *g;
	EVP_PKEY *key;
};

static const struct dh_group *find_group(uint8_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool hip_dh_supported(uint8_t group)
{
	return find_group(group) != NULL;
}

size_t hip_dh_public_len(uint8_t group)
{
	const struct dh_group *g = find_group(group);

	if (!g)
		return 0;
	return g->ec ? 2 * g->len : g->len;
}

static size_t secret_len(const struct dh_group *g)
{
	return g->len;
}

static EVP_PKEY *generate_key(const struct dh_group *g)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
	    OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->ec ? "EC" : "DH", NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_params(ctx, params) > 0)
		EVP_PKEY_generate(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int hip_dh_generate(uint8_t group, struct hip_dh **out)
{
	const struct dh_group *g = find_group(group);
	struct hip_dh *dh;

	if (!g || !out)
		return -EINVAL;
	dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->g = g;
	dh->key = generate_key(g);
	if (!dh->key) {
		ERR_clear_error();
		free(dh);
		return -EIO;
	}
	*out = dh;
	return 0;
}

uint8_t hip_dh_group(const struct hip_dh *dh)
{
	return dh->g->id;
}

void hip_dh_free(struct hip_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key);
	free(dh);
}

/* MODP: the public value left-padded to the size of p. ECDH: x | y, each padded to the
 * coordinate size, without the 0x04 prefix (RFC 5903 section 7). */
static int export_public(const struct hip_dh *dh, uint8_t *buf)
{
	const struct dh_group *g = dh->g;
	const char *n1 = g->ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_PUB_KEY;
	BIGNUM *a = NULL, *b = NULL;
	int err = -EIO;

	if (!EVP_PKEY_get_bn_param(dh->key, n1, &a))
		goto out;
	if (BN_bn2binpad(a, buf, (int)g->len) < 0)
		goto out;
	if (g->ec && (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, &b) ||
		      BN_bn2binpad(b, buf + g->len, (int)g->len) < 0))
		goto out;
	err = 0;
out:
	BN_free(a);
	BN_free(b);
	return err;
}

int hip_dh_public(const struct hip_dh *dh, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n;
	int err;

	if (!dh || !buf || !len)
		return -EINVAL;
	n = hip_dh_public_len(dh->g->id);
	if (cap < n)
		return -ENOBUFS;
	err = export_public(dh, buf);
	if (err) {
		ERR_clear_error();
		return err;
	}
	*len = n;
	return 0;
}

static EVP_PKEY *peer_from_params(const struct dh_group *g, const OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->ec ? "EC" : "DH", NULL);
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *peer_ec(const struct dh_group *g, const uint8_t *peer)
{
	uint8_t point[1 + 2 * 48];
	size_t plen = 1 + 2 * g->len;

	point[0] = 0x04; /* uncompressed: the wire value is x | y */
	memcpy(point + 1, peer, 2 * g->len);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, plen),
	    OSSL_PARAM_construct_end(),
	};
	return peer_from_params(g, params);
}

static EVP_PKEY *peer_modp(const struct dh_group *g, const uint8_t *peer)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *y = BN_bin2bn(peer, (int)g->len, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (bld && y &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params)
		pkey = peer_from_params(g, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	return pkey;
}

/* The public key check, done once here (derive_with does not repeat it). ECDH: the
 * point is on the curve and not at infinity; the NIST curves have cofactor 1, so
 * that is the whole check and the costly order check (n*Q = O) adds nothing.
 * MODP: 2 <= y <= p-2 and y in the prime-order subgroup (rejects 0, 1, p-1, >= p). */
static bool peer_valid(const struct dh_group *g, EVP_PKEY *peer)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	bool ok =
	    ctx && (g->ec ? EVP_PKEY_public_check_quick(ctx) : EVP_PKEY_public_check(ctx)) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int derive_with(const struct hip_dh *dh, EVP_PKEY *peer, uint8_t *secret, size_t *len)
{
	unsigned int pad = 1; /* MODP: Kij keeps its leading zeros, full width of p */
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
	    OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	size_t n = secret_len(dh->g);
	int err = -EIO;

	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	if (!dh->g->ec && EVP_PKEY_CTX_set_params(ctx, params) <= 0)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) <= 0) { /* peer_valid checked it */
		err = -EBADMSG;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, secret, &n) <= 0 || n != secret_len(dh->g))
		goto out;
	*len = n;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

int hip_dh_derive(const struct hip_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret,
		  size_t cap, size_t *len)
{
	EVP_PKEY *pk;
	int err;

	if (!dh || !peer || !secret || !len)
		return -EINVAL;
	if (peer_len != hip_dh_public_len(dh->g->id))
		return -EBADMSG;
	if (cap < secret_len(dh->g))
		return -ENOBUFS;
	pk = dh->g->ec ? peer_ec(dh->g, peer) : peer_modp(dh->g, peer);
	if (!pk || !peer_valid(dh->g, pk)) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return -EBADMSG;
	}
	err = derive_with(dh, pk, secret, len);
	EVP_PKEY_free(pk);
	if (err) {
		OPENSSL_cleanse(secret, cap);
		ERR_clear_error();
	}
	return err;
}
