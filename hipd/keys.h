/* Draws the HIP and ESP keys of an association from KEYMAT in the order of
 * RFC 7401 6.5 and RFC 7402 7. Does not run Diffie-Hellman itself. */
#ifndef HIPSIP_KEYS_H
#define HIPSIP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "hipd/hadb.h"

/* Key lengths of an ESP_TRANSFORM suite; -ENOTSUP for suites we do not run. */
int keys_esp_suite_lens(uint16_t suite, size_t *enc_len, size_t *auth_len);
const char *keys_esp_suite_name(uint16_t suite);
const char *keys_hip_cipher_name(uint16_t id);
const char *keys_hit_suite_name(uint8_t suite);
const char *keys_dh_group_name(uint8_t group);

/* Fills ha->keys from Kij, using ha's HITs, roles, puzzle I/J, suites. */
int keys_derive(struct hip_ha *ha, const uint8_t *kij, size_t kij_len);
/* Rekeying (RFC 7402 6.10 step 3): a new KEYMAT from a new Kij, and only the
 * ESP keys drawn from it, from index 0, in the order of RFC 7402 7, into k's
 * ESP fields (ha gives the HITs, roles, puzzle I/J and suites; its keys stay). */
int keys_rekey_esp(const struct hip_ha *ha, const uint8_t *kij, size_t kij_len, struct hip_keys *k);

#endif
