/* Unit tests for hipd/wire: framing rules, every parameter's round trip, checksums
 * against packets of another implementation. Not tests of protocol behaviour. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hipd/wire/wire.h"

/* ---- packets captured from another HIPv2 implementation (cutehip.pcap, raw IP
 * protocol 139 over IPv4; extracted with tests/fuzz/pcap_hip_seeds.py c). Their
 * checksums are real. Known defects (notes/real-peers.md): R1 and I2 put
 * ESP_TRANSFORM (4095) before HOST_ID (705) and R1 HIT_SUITE_LIST before
 * DH_GROUP_LIST; the DIFFIE_HELLMAN Public Value Length is 8 with 64 bytes. ---- */
/* 192.168.64.16 -> 192.168.64.15, 56 bytes */
static const uint8_t cutehip_i1_src[4] = {192, 168, 64, 16};
static const uint8_t cutehip_i1_dst[4] = {192, 168, 64, 15};
static const uint8_t cutehip_i1[56] = {
    0x3b, 0x06, 0x01, 0x21, 0x64, 0x55, 0x00, 0x00, 0x20, 0x01, 0x00, 0x21, 0x17, 0xff,
    0x02, 0x34, 0xb2, 0x00, 0xad, 0x27, 0x07, 0x67, 0xf4, 0x66, 0x20, 0x01, 0x00, 0x21,
    0x10, 0x10, 0xfb, 0x60, 0x68, 0x5e, 0xad, 0xa0, 0x17, 0xcf, 0x59, 0x87, 0x01, 0xff,
    0x00, 0x06, 0x07, 0x09, 0x08, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* 192.168.64.15 -> 192.168.64.16, 776 bytes */
static const uint8_t cutehip_r1_src[4] = {192, 168, 64, 15};
static const uint8_t cutehip_r1_dst[4] = {192, 168, 64, 16};
static const uint8_t cutehip_r1[776] = {
    0x3b, 0x60, 0x02, 0x21, 0x96, 0x13, 0x00, 0x00, 0x20, 0x01, 0x00, 0x21, 0x10, 0x10, 0xfb, 0x60,
    0x68, 0x5e, 0xad, 0xa0, 0x17, 0xcf, 0x59, 0x87, 0x20, 0x01, 0x00, 0x21, 0x17, 0xff, 0x02, 0x34,
    0xb2, 0x00, 0xad, 0x27, 0x07, 0x67, 0xf4, 0x66, 0x01, 0x01, 0x00, 0x24, 0x10, 0x25, 0x31, 0x68,
    0x5c, 0x4f, 0x8d, 0x42, 0xb3, 0x0e, 0x63, 0x69, 0xc8, 0xce, 0x30, 0x35, 0x82, 0xa0, 0xbf, 0x79,
    0xe0, 0xab, 0x67, 0x79, 0x20, 0x3c, 0x59, 0x88, 0x30, 0x41, 0x4f, 0xd8, 0x59, 0xc9, 0x7e, 0x02,
    0x02, 0x01, 0x00, 0x43, 0x07, 0x00, 0x08, 0x59, 0xe3, 0x60, 0x52, 0x63, 0xa0, 0x14, 0xe4, 0xf4,
    0x41, 0xf7, 0x20, 0x80, 0xf7, 0x1a, 0x65, 0x49, 0xc0, 0xfe, 0xc7, 0x3f, 0x68, 0x67, 0x3b, 0xfb,
    0xac, 0x10, 0x7f, 0xd9, 0xdc, 0x2f, 0x36, 0x98, 0xdd, 0x5f, 0x48, 0xaf, 0xbb, 0x9a, 0x8c, 0x6e,
    0x42, 0x07, 0x4c, 0xc7, 0x0e, 0xba, 0xeb, 0x83, 0xa6, 0x30, 0xda, 0xb8, 0x2a, 0x19, 0xf9, 0x38,
    0xac, 0x5c, 0x49, 0x0f, 0x44, 0x05, 0xa8, 0x00, 0x02, 0x43, 0x00, 0x06, 0x00, 0x04, 0x00, 0x02,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0xff, 0x00, 0x08, 0x00, 0x00, 0x00, 0x09,
    0x00, 0x08, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc1, 0x01, 0x27, 0x01, 0x04, 0x20, 0x1d,
    0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0xda, 0xb7, 0x51, 0x6b, 0xaf, 0x5e, 0xd3, 0x3c, 0xae, 0x1c,
    0xd4, 0xb0, 0x10, 0x9a, 0x1f, 0x21, 0x2d, 0x64, 0x70, 0xfa, 0xc6, 0xf1, 0x6d, 0xf6, 0x90, 0xc5,
    0xd9, 0xbe, 0x92, 0x76, 0xe8, 0x11, 0x79, 0xc4, 0x91, 0x07, 0xf0, 0xb7, 0x4d, 0xb9, 0x09, 0x42,
    0x00, 0x70, 0xee, 0x3d, 0x7d, 0x38, 0x69, 0x00, 0xd4, 0xb0, 0x26, 0x46, 0xc5, 0xb5, 0xe6, 0x62,
    0x88, 0x8d, 0x16, 0x28, 0x2f, 0x6f, 0x8b, 0x1e, 0x9f, 0x91, 0xf4, 0xa3, 0xd4, 0x3b, 0xb8, 0xc5,
    0xde, 0x1c, 0x09, 0x55, 0xc6, 0xd9, 0x65, 0xc4, 0x00, 0x3c, 0x62, 0x76, 0x3e, 0x81, 0x9e, 0x45,
    0x40, 0x78, 0x87, 0x36, 0x10, 0x7d, 0xb0, 0xc4, 0xfe, 0x94, 0x6b, 0xbb, 0x8d, 0x43, 0xca, 0xf4,
    0xad, 0x3c, 0x09, 0xcd, 0x51, 0x28, 0xa3, 0x08, 0x33, 0xc6, 0x45, 0xab, 0xe4, 0x1e, 0xa2, 0x58,
    0xd7, 0x58, 0x82, 0x4e, 0xa8, 0x99, 0x6a, 0x00, 0x46, 0xbf, 0xb4, 0x1b, 0x56, 0x9c, 0x50, 0x69,
    0x65, 0xd1, 0x07, 0x71, 0x04, 0x86, 0x84, 0x20, 0x6e, 0x3c, 0x80, 0xa0, 0x80, 0x29, 0xc3, 0x7e,
    0xfb, 0x9a, 0x74, 0x89, 0x41, 0x48, 0x8e, 0xf3, 0x4a, 0xfc, 0x80, 0x9a, 0x14, 0xe1, 0x68, 0x48,
    0xb9, 0x45, 0xdb, 0xc7, 0x63, 0xe8, 0x40, 0x2b, 0x75, 0x6c, 0x90, 0xd5, 0xc5, 0x48, 0xc0, 0xca,
    0x55, 0xbf, 0x72, 0x01, 0xeb, 0x6d, 0x5b, 0xa7, 0x59, 0x1b, 0xaa, 0x8d, 0xbb, 0xd0, 0x88, 0x5c,
    0xd6, 0xd6, 0x89, 0xed, 0x57, 0x4f, 0x7f, 0x97, 0xdc, 0x34, 0x1b, 0x90, 0x2f, 0xec, 0x83, 0xfc,
    0x60, 0x69, 0x5e, 0xf5, 0x05, 0x95, 0xa4, 0x02, 0x91, 0x4b, 0x66, 0xa3, 0x6f, 0x6a, 0x73, 0x70,
    0x6f, 0x2b, 0xd5, 0x58, 0xfc, 0x9c, 0x00, 0x4a, 0x51, 0x94, 0x77, 0x68, 0x8a, 0xea, 0xe4, 0xb0,
    0x35, 0x04, 0x43, 0x66, 0x14, 0x87, 0x64, 0x6d, 0x69, 0x74, 0x72, 0x69, 0x79, 0x2e, 0x6b, 0x75,
    0x70, 0x74, 0x73, 0x6f, 0x76, 0x40, 0x73, 0x74, 0x72, 0x61, 0x6e, 0x67, 0x65, 0x62, 0x69, 0x74,
    0x2e, 0x69, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xcb, 0x00, 0x03, 0x10, 0x20, 0x30, 0x00,
    0x01, 0xff, 0x00, 0x01, 0x07, 0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x02, 0x0f, 0xff, 0x00, 0x00,
    0xf0, 0xc1, 0x01, 0x02, 0x00, 0x05, 0xd3, 0x00, 0x0e, 0x8c, 0x66, 0x46, 0x5f, 0x7a, 0x9f, 0x78,
    0xdf, 0x52, 0x32, 0x1d, 0x1a, 0x90, 0x5b, 0x4c, 0xaa, 0x29, 0x01, 0x99, 0x1d, 0xc8, 0x20, 0xda,
    0x1a, 0xa8, 0xd8, 0xc8, 0x28, 0x15, 0x79, 0x10, 0x9f, 0x1a, 0x76, 0x10, 0x7c, 0x96, 0x43, 0xb0,
    0xbd, 0x98, 0x37, 0xd0, 0x51, 0xaa, 0xfd, 0xdc, 0x8d, 0x8a, 0xc3, 0xed, 0xd8, 0x47, 0xd3, 0x38,
    0xbb, 0x2b, 0x39, 0xdb, 0x42, 0x5c, 0x6f, 0x7a, 0x1e, 0xe7, 0xb0, 0x0f, 0x68, 0xfa, 0x65, 0x90,
    0x14, 0xb1, 0xc6, 0xfd, 0x2b, 0x30, 0xd1, 0x85, 0xe0, 0xb8, 0xe5, 0xef, 0x7c, 0x94, 0x70, 0x1a,
    0x19, 0x2c, 0x4d, 0x48, 0xae, 0x62, 0x02, 0x0c, 0x04, 0xcd, 0xa0, 0xff, 0x91, 0xeb, 0xe4, 0x34,
    0xa6, 0xc7, 0x00, 0xfe, 0xd4, 0x72, 0x99, 0x3f, 0x0e, 0xfa, 0x55, 0x02, 0x1e, 0x1f, 0x53, 0x4c,
    0xc2, 0xe5, 0xbe, 0xce, 0xe5, 0x10, 0x02, 0x72, 0x54, 0x70, 0x26, 0xba, 0x81, 0xd0, 0x2f, 0xe0,
    0x61, 0x59, 0xd3, 0x7e, 0x08, 0x07, 0x87, 0x06, 0x39, 0xd5, 0x8e, 0xa4, 0x35, 0x21, 0x52, 0xf2,
    0xe4, 0xd5, 0x99, 0xba, 0x1c, 0x2a, 0x44, 0x0a, 0xb7, 0x88, 0x54, 0x07, 0x46, 0x3a, 0xb5, 0x8a,
    0x67, 0x8f, 0x19, 0x83, 0x38, 0xdd, 0xbf, 0x2b, 0x3e, 0x01, 0x00, 0xf0, 0x16, 0x6a, 0x38, 0xda,
    0x0f, 0x7a, 0xa0, 0xa3, 0x02, 0x78, 0x4f, 0x95, 0x59, 0xbc, 0xc9, 0xc1, 0xc0, 0x54, 0x63, 0x38,
    0x79, 0x0b, 0x34, 0x90, 0x9d, 0x69, 0xbd, 0xbd, 0xc9, 0x48, 0x86, 0x02, 0x7e, 0x24, 0x11, 0xde,
    0xfa, 0xa7, 0xa1, 0x25, 0x2e, 0x11, 0x8f, 0x95, 0xd4, 0x89, 0x83, 0x16, 0xda, 0xcd, 0x76, 0x1a,
    0x2f, 0xfb, 0xfa, 0xb4, 0xaf, 0xe6, 0x87, 0x88, 0xc6, 0x1c, 0x15, 0x01, 0x9c, 0xc9, 0x1c, 0xce,
    0x5b, 0x93, 0xb7, 0x82, 0x26, 0x6a, 0x00, 0x00,
};
/* 192.168.64.16 -> 192.168.64.15, 576 bytes */
static const uint8_t cutehip_i2_src[4] = {192, 168, 64, 16};
static const uint8_t cutehip_i2_dst[4] = {192, 168, 64, 15};
static const uint8_t cutehip_i2[576] = {
    0x3b, 0x47, 0x03, 0x21, 0x88, 0x97, 0x00, 0x00, 0x20, 0x01, 0x00, 0x21, 0x17, 0xff, 0x02, 0x34,
    0xb2, 0x00, 0xad, 0x27, 0x07, 0x67, 0xf4, 0x66, 0x20, 0x01, 0x00, 0x21, 0x10, 0x10, 0xfb, 0x60,
    0x68, 0x5e, 0xad, 0xa0, 0x17, 0xcf, 0x59, 0x87, 0x00, 0x41, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x08, 0xab, 0x31, 0xe0, 0x01, 0x41, 0x00, 0x44, 0x10, 0x00, 0x31, 0x68,
    0x5c, 0x4f, 0x8d, 0x42, 0xb3, 0x0e, 0x63, 0x69, 0xc8, 0xce, 0x30, 0x35, 0x82, 0xa0, 0xbf, 0x79,
    0xe0, 0xab, 0x67, 0x79, 0x20, 0x3c, 0x59, 0x88, 0x30, 0x41, 0x4f, 0xd8, 0x59, 0xc9, 0x7e, 0x02,
    0x69, 0x10, 0x50, 0x41, 0x01, 0x96, 0x6c, 0x0e, 0x0b, 0x36, 0x16, 0xd9, 0x46, 0x02, 0xcb, 0xcf,
    0xb2, 0xfc, 0x20, 0x2c, 0x00, 0xa3, 0xe4, 0xa3, 0x0a, 0xda, 0x5f, 0x88, 0xfb, 0x01, 0xbf, 0x81,
    0x02, 0x01, 0x00, 0x43, 0x07, 0x00, 0x08, 0xdb, 0x96, 0xdd, 0xef, 0x7e, 0xa8, 0x0c, 0x1e, 0x4e,
    0x83, 0x1e, 0xe5, 0x07, 0x6a, 0xa3, 0x6b, 0x1f, 0xea, 0xec, 0x32, 0xa8, 0x25, 0x82, 0xa8, 0x4a,
    0x47, 0x5d, 0xd5, 0xb1, 0x41, 0xae, 0xfb, 0x6d, 0xc8, 0x4f, 0x3a, 0xc4, 0x39, 0x4c, 0x42, 0x8b,
    0xc9, 0x7f, 0xd0, 0x1f, 0xdd, 0xf5, 0xfb, 0x79, 0xe6, 0x40, 0xc8, 0x43, 0x91, 0x3e, 0xe8, 0x6d,
    0x4e, 0x62, 0x2d, 0x92, 0x90, 0x1f, 0x44, 0x00, 0x02, 0x43, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00,
    0x0f, 0xff, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09, 0x02, 0xc1, 0x00, 0xa7, 0x00, 0x84, 0x20, 0x1d,
    0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0xe1, 0x16, 0x3a, 0xbf, 0x4b, 0x7b, 0x2d, 0x0d, 0xf8, 0x4a,
    0xcc, 0xfc, 0x0b, 0xac, 0xfb, 0xca, 0xc3, 0xf6, 0x7b, 0x1e, 0xb0, 0x94, 0x1f, 0x71, 0x60, 0xee,
    0x27, 0x08, 0x6e, 0x77, 0x67, 0x1b, 0x0c, 0x55, 0x51, 0x8a, 0x87, 0x45, 0xe1, 0x56, 0x6e, 0x10,
    0x8c, 0xbf, 0x2c, 0x9e, 0x4d, 0xdd, 0xd9, 0x32, 0x5c, 0x7c, 0x2f, 0x0a, 0x7c, 0x53, 0x07, 0x06,
    0x00, 0x84, 0x0a, 0x3d, 0x6a, 0xe9, 0x74, 0x43, 0x6e, 0x1e, 0xd7, 0x8b, 0xc5, 0xde, 0x6c, 0x3e,
    0xae, 0x24, 0x0f, 0x4f, 0xd4, 0xa4, 0x73, 0xcd, 0x06, 0xab, 0x41, 0xde, 0xd1, 0x59, 0xef, 0xf1,
    0x26, 0xa3, 0x05, 0x3c, 0x40, 0x43, 0x72, 0x4d, 0x80, 0xad, 0x9f, 0x45, 0x6a, 0x86, 0xce, 0xd6,
    0xe1, 0xbd, 0xf2, 0x2f, 0x25, 0x2e, 0xe1, 0x55, 0x52, 0xa5, 0x25, 0x25, 0xba, 0xc5, 0x34, 0x9f,
    0xfc, 0x18, 0xc3, 0x7b, 0x51, 0xa5, 0x64, 0x6d, 0x69, 0x74, 0x72, 0x69, 0x79, 0x2e, 0x6b, 0x75,
    0x70, 0x74, 0x73, 0x6f, 0x76, 0x40, 0x73, 0x74, 0x72, 0x61, 0x6e, 0x67, 0x65, 0x62, 0x69, 0x74,
    0x2e, 0x69, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x00, 0x02, 0x0f, 0xff, 0x00, 0x00,
    0xf0, 0x41, 0x00, 0x20, 0xbb, 0x88, 0x68, 0xbc, 0xd7, 0xea, 0xac, 0x4e, 0xcb, 0x50, 0x68, 0xd8,
    0x95, 0x9c, 0xd5, 0x96, 0x7d, 0x40, 0x9b, 0x67, 0xc5, 0xd1, 0x0f, 0x9d, 0x31, 0x35, 0xc5, 0x8b,
    0xd6, 0x10, 0x66, 0xe0, 0x00, 0x00, 0x00, 0x00, 0xf1, 0x01, 0x00, 0x82, 0x00, 0x05, 0xd6, 0x43,
    0x0d, 0xec, 0xed, 0xc6, 0xe8, 0x42, 0x7e, 0xa5, 0xa5, 0x32, 0xe0, 0x4d, 0xf4, 0xc1, 0x77, 0x7e,
    0x75, 0x9c, 0x3d, 0xed, 0xea, 0x70, 0xf8, 0xeb, 0x17, 0x98, 0x50, 0xcb, 0x86, 0x7f, 0xfc, 0xd5,
    0x23, 0x23, 0xee, 0x32, 0x30, 0x56, 0x08, 0x6b, 0xb0, 0xd4, 0x8c, 0x5b, 0x39, 0x09, 0xaa, 0xc0,
    0x2c, 0x14, 0x76, 0x8e, 0x78, 0x91, 0xdb, 0x1c, 0x85, 0xa6, 0xff, 0x48, 0x78, 0x74, 0x47, 0x06,
    0x66, 0xa1, 0xb8, 0x62, 0xe2, 0x1f, 0xa8, 0xac, 0x16, 0x62, 0x8e, 0x84, 0xca, 0x16, 0xe4, 0x8c,
    0xc5, 0x69, 0xee, 0x86, 0xad, 0x0d, 0x26, 0x13, 0x42, 0xca, 0x2a, 0x13, 0xd6, 0x33, 0xf3, 0x49,
    0x95, 0x66, 0x8b, 0xa4, 0x78, 0x5e, 0x2c, 0x54, 0x47, 0xd1, 0x87, 0x6d, 0x54, 0x8d, 0xb7, 0x93,
    0x36, 0x9d, 0x40, 0x43, 0x43, 0x3e, 0x86, 0x81, 0xfc, 0xd5, 0xad, 0xeb, 0x30, 0x15, 0x00, 0x00,
};
/* 192.168.64.15 -> 192.168.64.16, 360 bytes */
static const uint8_t cutehip_r2_src[4] = {192, 168, 64, 15};
static const uint8_t cutehip_r2_dst[4] = {192, 168, 64, 16};
static const uint8_t cutehip_r2[360] = {
    0x3b, 0x2c, 0x04, 0x21, 0x32, 0x2d, 0x00, 0x00, 0x20, 0x01, 0x00, 0x21, 0x10, 0x10, 0xfb, 0x60,
    0x68, 0x5e, 0xad, 0xa0, 0x17, 0xcf, 0x59, 0x87, 0x20, 0x01, 0x00, 0x21, 0x17, 0xff, 0x02, 0x34,
    0xb2, 0x00, 0xad, 0x27, 0x07, 0x67, 0xf4, 0x66, 0x00, 0x41, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x28, 0x1f, 0x46, 0x0f, 0xf0, 0x81, 0x00, 0x20, 0x88, 0x3d, 0x24, 0xf7,
    0x74, 0x1d, 0x59, 0x66, 0x88, 0xbf, 0xf9, 0xff, 0x9e, 0x09, 0x3c, 0x53, 0x0f, 0x35, 0xc0, 0x15,
    0xcb, 0x83, 0xd6, 0x84, 0x8b, 0x94, 0x0a, 0x12, 0xf7, 0xd7, 0x57, 0x1d, 0x00, 0x00, 0x00, 0x00,
    0xf0, 0xc1, 0x01, 0x02, 0x00, 0x05, 0x5e, 0x26, 0x2d, 0x96, 0x0d, 0xff, 0xdc, 0xf9, 0x39, 0x9b,
    0x30, 0xca, 0xe7, 0x50, 0x99, 0x6f, 0x72, 0xc2, 0x96, 0xa2, 0xaa, 0x55, 0x0d, 0x75, 0x0c, 0xb1,
    0x9f, 0xb1, 0x5e, 0x33, 0x0c, 0x12, 0x6c, 0x31, 0x08, 0xbe, 0xc0, 0xc4, 0x4d, 0x09, 0x4b, 0xf4,
    0xe6, 0x53, 0x48, 0x42, 0x63, 0xf0, 0xeb, 0x67, 0x1f, 0xcf, 0xdb, 0x28, 0xec, 0xc1, 0x44, 0x67,
    0xd9, 0x69, 0x4f, 0xce, 0xf2, 0xba, 0x5c, 0xda, 0x29, 0x51, 0xd6, 0x91, 0xde, 0x26, 0xc2, 0xb6,
    0xb1, 0xf6, 0x34, 0x97, 0xa8, 0x94, 0x8f, 0x15, 0x65, 0xbd, 0x1f, 0x5a, 0x41, 0x31, 0x3c, 0x71,
    0xc3, 0x54, 0xee, 0xff, 0xa5, 0xd4, 0x96, 0xca, 0xc0, 0x77, 0x73, 0x98, 0x47, 0xbe, 0xc9, 0x96,
    0xbc, 0xda, 0x87, 0x1e, 0x79, 0xa2, 0x30, 0x2d, 0xa9, 0x3f, 0x57, 0x37, 0x32, 0xd8, 0x19, 0x1d,
    0x4a, 0x5e, 0xe8, 0x24, 0xe2, 0xcd, 0xfc, 0x16, 0xa4, 0x7f, 0x92, 0x22, 0xc0, 0xaf, 0x43, 0xa7,
    0xc8, 0xd8, 0xd8, 0x82, 0x19, 0xd7, 0xc2, 0x15, 0x19, 0xe7, 0xad, 0xb6, 0xde, 0xc5, 0x64, 0x61,
    0x62, 0x7c, 0xc3, 0x05, 0xd9, 0x8c, 0x8e, 0x20, 0x6c, 0xfc, 0x6a, 0x5b, 0x09, 0x2e, 0x11, 0x9d,
    0x22, 0xb5, 0xd2, 0x52, 0xc5, 0x35, 0x05, 0xde, 0x71, 0xc8, 0xf0, 0xa1, 0x71, 0x01, 0x1e, 0xcc,
    0xda, 0xec, 0x3f, 0xc2, 0x19, 0xe9, 0x75, 0x98, 0xca, 0x24, 0x49, 0x6b, 0x08, 0x23, 0x8c, 0xee,
    0x3d, 0x03, 0xba, 0x74, 0x60, 0xf6, 0x2d, 0x91, 0x0e, 0x79, 0x3e, 0x67, 0x11, 0x87, 0x73, 0x04,
    0x95, 0x10, 0x45, 0xcb, 0x6d, 0x8a, 0xec, 0x88, 0x4d, 0xce, 0x8e, 0x1c, 0xec, 0x61, 0xfd, 0x4e,
    0x1b, 0x89, 0xf5, 0xd3, 0x3d, 0x44, 0x51, 0xf5, 0xe1, 0x84, 0x0f, 0xc0, 0xaa, 0x89, 0xea, 0xc7,
    0xa4, 0x6f, 0xbe, 0xa0, 0x33, 0x24, 0x00, 0x00,
};

static const struct in6_addr hit_a = {
    {{0x20, 0x01, 0x00, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa}}};
static const struct in6_addr hit_b = {
    {{0x20, 0x01, 0x00, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbb}}};

static struct sockaddr_in sin4(const uint8_t a[4])
{
	struct sockaddr_in s = {.sin_family = AF_INET};

	memcpy(&s.sin_addr, a, 4);
	return s;
}

static struct sockaddr_in6 sin6(const char *text)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6};

	ck_assert_int_eq(inet_pton(AF_INET6, text, &s.sin6_addr), 1);
	return s;
}

/* Builds a packet holding the TLVs already written by fill(w) and parses it. */
static uint8_t pkt[HIP_MAX_PACKET_LEN];
static size_t pkt_len;
static struct hip_msg msg;

static void start(struct wbuf *w, uint8_t type)
{
	wbuf_init(w, pkt, sizeof(pkt));
	ck_assert_int_eq(hip_build_start(w, type, 0, &hit_a, &hit_b), 0);
}

static int finish_and_parse(struct wbuf *w)
{
	ck_assert_int_eq(hip_build_set_len(w), 0);
	pkt_len = w->len;
	return hip_msg_parse(pkt, pkt_len, &msg);
}

/* The only parameter of the parsed packet, of the expected type. */
static const struct hip_param *only_param(struct wbuf *w, uint16_t type)
{
	ck_assert_int_eq(finish_and_parse(w), 0);
	ck_assert_uint_eq(msg.nparams, 1);
	ck_assert_ptr_nonnull(hip_msg_find(&msg, type));
	return hip_msg_find(&msg, type);
}

/* A parameter view over bytes given by the test (for decoder-level rules). */
static struct hip_param view(uint16_t type, const uint8_t *val, size_t len)
{
	struct hip_param p = {.type = type, .len = (uint16_t)len, .val = val};

	return p;
}

/* Appends a raw TLV: type, any Length field, clen bytes of contents, zero padding
 * to a multiple of 8. */
static void raw_tlv(struct wbuf *w, uint16_t type, uint16_t len_field, size_t clen)
{
	wbuf_u16(w, type);
	wbuf_u16(w, len_field);
	for (size_t i = 0; i < clen; i++)
		wbuf_u8(w, (uint8_t)(i + 1));
	wbuf_zero(w, (8 - (4 + clen) % 8) % 8);
	ck_assert_int_eq(wbuf_error(w), 0);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

/* ======== header (RFC 7401 section 5.1) ======== */

/* 5.1: the fixed header is 40 bytes; a shorter buffer cannot be a HIP packet */
START_TEST(buffer_shorter_than_header_is_truncated)
{
	ck_assert_int_eq(hip_msg_parse(cutehip_i1, 39, &msg), -HIPW_ETRUNC);
	ck_assert_int_eq(hip_msg_parse(cutehip_i1, 0, &msg), -HIPW_ETRUNC);
	ck_assert_int_eq(hip_msg_parse(NULL, 0, &msg), -HIPW_ETRUNC);
}
END_TEST

/* 5.1: header fields of a real I1 */
START_TEST(header_fields_of_a_real_i1_are_read)
{
	ck_assert_int_eq(hip_msg_parse(cutehip_i1, sizeof(cutehip_i1), &msg), 0);
	ck_assert_uint_eq(msg.next_hdr, 59);
	ck_assert_uint_eq(msg.type, HIP_I1);
	ck_assert_uint_eq(msg.version, 2);
	ck_assert_uint_eq(msg.checksum, 0x6455);
	ck_assert_uint_eq(msg.controls, 0);
	ck_assert_uint_eq(msg.len, 56);
	ck_assert_ptr_eq(msg.raw, cutehip_i1);
	ck_assert_int_eq(memcmp(&msg.hit_s, &cutehip_i1[8], 16), 0);
	ck_assert_int_eq(memcmp(&msg.hit_r, &cutehip_i1[24], 16), 0);
	ck_assert_uint_eq(msg.nparams, 1);
}
END_TEST

/* 5.1: "The version defined in this document is 2" */
START_TEST(wrong_version_is_rejected)
{
	uint8_t b[56];

	memcpy(b, cutehip_i1, sizeof(b));
	b[3] = 0x11; /* version 1, fixed bit set */
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), -HIPW_EVERSION);
	b[3] = 0x31;
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), -HIPW_EVERSION);
}
END_TEST

/* 5.1: the last bit of byte 3 is 1 and the first bit of byte 2 is 0 (SHIM6
 * compatibility: with these bits otherwise the header is not HIP's) */
START_TEST(fixed_bit_clear_is_rejected)
{
	uint8_t b[56];

	memcpy(b, cutehip_i1, sizeof(b));
	b[3] = 0x20;
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), -HIPW_EFIXED);
	memcpy(b, cutehip_i1, sizeof(b));
	b[2] = 0x81;
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), -HIPW_EFIXED);
}
END_TEST

/* 5.1: RES bits MUST be ignored when received */
START_TEST(reserved_header_bits_are_ignored)
{
	uint8_t b[56];

	memcpy(b, cutehip_i1, sizeof(b));
	b[3] = 0x2f;
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), 0);
	ck_assert_uint_eq(msg.version, 2);
}
END_TEST

/* 5.1: Header Length is in 8-byte units excluding the first 8; minimum 4 */
START_TEST(header_length_mismatch_is_rejected)
{
	uint8_t b[64] = {0};

	memcpy(b, cutehip_i1, sizeof(cutehip_i1));
	/* trailing bytes after the packet */
	ck_assert_int_eq(hip_msg_parse(b, 64, &msg), -HIPW_EHDRLEN);
	ck_assert_int_eq(hip_msg_parse(b, 57, &msg), -HIPW_EHDRLEN);
	/* buffer cut between two TLVs: header says 56, 40 present */
	ck_assert_int_eq(hip_msg_parse(b, 40, &msg), -HIPW_EHDRLEN);
	/* header says 48: then the buffer is longer */
	b[1] = 5;
	ck_assert_int_eq(hip_msg_parse(b, 56, &msg), -HIPW_EHDRLEN);
	/* below the minimum of 4 (the two HITs) */
	b[1] = 3;
	ck_assert_int_eq(hip_msg_parse(b, 32 + 8, &msg), -HIPW_EHDRLEN);
	b[1] = 0;
	ck_assert_int_eq(hip_msg_parse(b, 40, &msg), -HIPW_EHDRLEN);
}
END_TEST

/* 5.1: with an unimplemented Next Header, trailing data MUST be ignored */
START_TEST(trailing_data_after_other_next_header_is_ignored)
{
	uint8_t b[64] = {0};

	memcpy(b, cutehip_i1, sizeof(cutehip_i1));
	b[0] = 6;
	ck_assert_int_eq(hip_msg_parse(b, sizeof(b), &msg), 0);
	ck_assert_uint_eq(msg.len, 56);
	ck_assert_uint_eq(msg.next_hdr, 6);
}
END_TEST

/* 5.1: the header alone (no parameters) is a well-formed packet */
START_TEST(packet_without_parameters_parses)
{
	struct wbuf w;

	start(&w, HIP_CLOSE_ACK);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(msg.nparams, 0);
	ck_assert_uint_eq(pkt[1], 4);
	ck_assert_ptr_null(hip_msg_find(&msg, HIP_PARAM_SEQ));
}
END_TEST

/* ======== TLV framing (RFC 7401 section 5.2.1) ======== */

/* 5.2.1: Total Length = 11 + Length - (Length + 3) % 8, padding to 8 bytes */
START_TEST(tlv_total_length_follows_the_formula)
{
	uint8_t v[16];
	struct wbuf w;

	fill(v, sizeof(v), 1);
	for (size_t len = 1; len <= 16; len++) {
		start(&w, HIP_NOTIFY);
		ck_assert_int_eq(hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, v, len), 0);
		ck_assert_uint_eq(w.len - 40, 11 + len - (len + 3) % 8);
		ck_assert_uint_eq((w.len - 40) % 8, 0);
		const struct hip_param *p = only_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED);
		ck_assert_uint_eq(p->len, len);
		ck_assert_uint_eq(p->total, 11 + len - (len + 3) % 8);
		ck_assert_uint_eq(p->off, 40);
		ck_assert_int_eq(memcmp(p->val, v, len), 0);
		/* padding is zero when sent */
		for (size_t i = 40 + 4 + len; i < w.len; i++)
			ck_assert_uint_eq(pkt[i], 0);
	}
}
END_TEST

/* 5.2.1: padding values SHOULD NOT be checked by the receiver */
START_TEST(nonzero_padding_is_accepted)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	wbuf_u16(&w, HIP_PARAM_ECHO_REQUEST_SIGNED);
	wbuf_u16(&w, 1);
	wbuf_u32(&w, 0x01ffffff);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(msg.nparams, 2);
}
END_TEST

/* 5.2.1: a Length pointing past the end of the packet */
START_TEST(tlv_length_past_end_is_rejected)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 5, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_ELENGTH);
	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 0xffff, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_ELENGTH);
	/* a cut buffer: the contents of the last TLV are not all there */
	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, 12, 12);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	ck_assert_uint_eq(w.len, 56);
	ck_assert_int_eq(hip_msg_parse(pkt, w.len - 6, &msg), -HIPW_ELENGTH);
}
END_TEST

/* 5.2.1: the padding of a TLV must be inside the packet too */
START_TEST(padding_past_end_is_rejected)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, 2, 2);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	/* header says 48 bytes; the datagram ends after the contents */
	ck_assert_int_eq(hip_msg_parse(pkt, 46, &msg), -HIPW_EPADDING);
	ck_assert_int_eq(hip_msg_parse(pkt, 47, &msg), -HIPW_EPADDING);
	ck_assert_int_eq(hip_msg_parse(pkt, 48, &msg), 0);
}
END_TEST

/* 5.2.1: a TLV header cut by the end of the datagram */
START_TEST(tlv_header_cut_is_truncated)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	ck_assert_int_eq(hip_msg_parse(pkt, 42, &msg), -HIPW_ETRUNC);
}
END_TEST

/* 5.2 (zero Length): every parameter this implementation knows has contents */
START_TEST(zero_length_known_parameter_is_rejected)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 0, 0);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_EZEROLEN);
	ck_assert_uint_eq(msg.bad_type, HIP_PARAM_SEQ);
}
END_TEST

/* 5.2.1: "the parameters MUST be included in the packet so that their types
 * form an increasing order" */
START_TEST(out_of_order_parameters_are_rejected)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_ACK, 4, 4);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_EORDER);
	ck_assert_uint_eq(msg.bad_type, HIP_PARAM_SEQ);
}
END_TEST

/* 5.2.1: "the parameters with the same type MUST be consecutive" */
START_TEST(repeated_types_must_be_consecutive)
{
	struct wbuf w;
	const struct hip_param *p;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	raw_tlv(&w, HIP_PARAM_ACK, 4, 4);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_EORDER);
	ck_assert_uint_eq(msg.bad_type, HIP_PARAM_SEQ);

	start(&w, HIP_NOTIFY);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	raw_tlv(&w, HIP_PARAM_NOTIFICATION, 4, 4);
	raw_tlv(&w, HIP_PARAM_NOTIFICATION, 5, 5);
	raw_tlv(&w, HIP_PARAM_NOTIFICATION, 6, 6);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	p = hip_msg_find(&msg, HIP_PARAM_NOTIFICATION);
	ck_assert_uint_eq(p->len, 4);
	p = hip_msg_find_next(&msg, p);
	ck_assert_uint_eq(p->len, 5);
	p = hip_msg_find_next(&msg, p);
	ck_assert_uint_eq(p->len, 6);
	ck_assert_ptr_null(hip_msg_find_next(&msg, p));
	ck_assert_ptr_null(hip_msg_find_next(&msg, hip_msg_find(&msg, HIP_PARAM_SEQ)));
	ck_assert_ptr_null(hip_msg_find_next(&msg, NULL));
}
END_TEST

/* 5.2.1: an unknown critical (odd) parameter: MUST NOT process the packet */
START_TEST(unknown_critical_parameter_is_rejected_with_its_type)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	raw_tlv(&w, 1001, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_ECRITICAL);
	ck_assert_uint_eq(msg.bad_type, 1001);
	ck_assert(!hip_param_known(1001));
}
END_TEST

/* 5.2.1: an unknown non-critical (even) parameter is ignored */
START_TEST(unknown_noncritical_parameter_is_skipped)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	raw_tlv(&w, 1000, 9, 9);
	raw_tlv(&w, 1000, 0, 0);
	raw_tlv(&w, HIP_PARAM_HIP_MAC, 32, 32);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(msg.nparams, 2);
	ck_assert_ptr_null(hip_msg_find(&msg, 1000));
	ck_assert_uint_eq(hip_msg_find(&msg, HIP_PARAM_HIP_MAC)->off, 40 + 8 + 16 + 8);
	/* it still counts for the order rule */
	start(&w, HIP_UPDATE);
	raw_tlv(&w, 1000, 4, 4);
	raw_tlv(&w, HIP_PARAM_SEQ, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_EORDER);
}
END_TEST

/* hip_msg holds at most HIP_MSG_MAX_PARAMS parameters */
START_TEST(too_many_parameters_are_rejected)
{
	struct wbuf w;

	start(&w, HIP_UPDATE);
	for (int i = 0; i < HIP_MSG_MAX_PARAMS; i++)
		raw_tlv(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(msg.nparams, HIP_MSG_MAX_PARAMS);
	raw_tlv(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, 4, 4);
	ck_assert_int_eq(finish_and_parse(&w), -HIPW_ETOOMANY);
}
END_TEST

/* 5.2: every parameter type of hip_proto.h is known and named */
START_TEST(all_protocol_parameter_types_are_known)
{
	static const uint16_t types[] = {
	    HIP_PARAM_ESP_INFO,
	    HIP_PARAM_R1_COUNTER,
	    HIP_PARAM_LOCATOR_SET,
	    HIP_PARAM_PUZZLE,
	    HIP_PARAM_SOLUTION,
	    HIP_PARAM_SEQ,
	    HIP_PARAM_ACK,
	    HIP_PARAM_DH_GROUP_LIST,
	    HIP_PARAM_DIFFIE_HELLMAN,
	    HIP_PARAM_HIP_CIPHER,
	    HIP_PARAM_NAT_TRAVERSAL_MODE,
	    HIP_PARAM_TRANSACTION_PACING,
	    HIP_PARAM_ENCRYPTED,
	    HIP_PARAM_HOST_ID,
	    HIP_PARAM_HIT_SUITE_LIST,
	    HIP_PARAM_CERT,
	    HIP_PARAM_NOTIFICATION,
	    HIP_PARAM_ECHO_REQUEST_SIGNED,
	    HIP_PARAM_REG_INFO,
	    HIP_PARAM_REG_REQUEST,
	    HIP_PARAM_REG_RESPONSE,
	    HIP_PARAM_REG_FAILED,
	    HIP_PARAM_REG_FROM,
	    HIP_PARAM_ECHO_RESPONSE_SIGNED,
	    HIP_PARAM_TRANSPORT_FORMAT_LIST,
	    HIP_PARAM_ESP_TRANSFORM,
	    HIP_PARAM_OVERLAY_ID,
	    HIP_PARAM_ROUTE_DST,
	    HIP_PARAM_HIP_MAC,
	    HIP_PARAM_HIP_MAC_2,
	    HIP_PARAM_HIP_SIGNATURE_2,
	    HIP_PARAM_HIP_SIGNATURE,
	    HIP_PARAM_ECHO_RESPONSE_UNSIGNED,
	    HIP_PARAM_ECHO_REQUEST_UNSIGNED,
	    HIP_PARAM_RELAY_FROM,
	    HIP_PARAM_RELAY_TO,
	    HIP_PARAM_OVERLAY_TTL,
	    HIP_PARAM_ROUTE_VIA,
	    HIP_PARAM_RELAY_HMAC,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ck_assert(hip_param_known(types[i]));
		ck_assert_str_ne(hip_param_type_name(types[i]), "UNKNOWN");
	}
	ck_assert_str_eq(hip_param_type_name(HIP_PARAM_HOST_ID), "HOST_ID");
	ck_assert_str_eq(hip_param_type_name(3), "UNKNOWN");
	ck_assert(!hip_param_known(0));
	ck_assert_str_eq(hip_packet_type_name(HIP_I2), "I2");
	ck_assert_str_eq(hip_packet_type_name(HIP_CLOSE_ACK), "CLOSE_ACK");
	ck_assert_str_eq(hip_packet_type_name(99), "UNKNOWN");
}
END_TEST

START_TEST(every_error_has_a_name)
{
	for (int e = HIPW_ETRUNC; e < HIPW_ELAST; e++) {
		ck_assert_ptr_nonnull(hip_wire_strerror(-e));
		ck_assert_str_eq(hip_wire_strerror(-e), hip_wire_strerror(e));
	}
	ck_assert_str_eq(hip_wire_strerror(-HIPW_ECHECKSUM), "checksum mismatch");
	ck_assert_str_eq(hip_wire_strerror(-ENOBUFS), strerror(ENOBUFS));
	ck_assert_str_eq(hip_wire_strerror(-HIPW_ELAST), "unknown wire error");
	ck_assert_ptr_nonnull(hip_wire_strerror(-2147483647 - 1));
}
END_TEST

/* ======== typed parameters: round trips (RFC 7401 5.2.x, RFC 7402 5.1) ======== */

/* 5.2.3 */
START_TEST(r1_counter_round_trips)
{
	struct hip_p_r1_counter in = {.generation = 0x0102030405060708ull}, out;
	struct wbuf w;

	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_r1_counter_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_R1_COUNTER);
	ck_assert_uint_eq(p->len, 12);
	ck_assert_int_eq(hip_p_r1_counter_decode(p, &out), 0);
	ck_assert(out.generation == in.generation);
}
END_TEST

/* 5.2.4: #I is RHASH_len / 8 bytes: 20 (SHA-1), 32 (SHA-256), 48 (SHA-384) */
START_TEST(puzzle_round_trips_for_each_rhash_length)
{
	static const size_t lens[] = {20, 32, 48};
	struct hip_p_puzzle in = {.k = 10, .lifetime = 37, .opaque = 0xbeef}, out;
	struct wbuf w;

	for (size_t l = 0; l < 3; l++) {
		in.i_len = lens[l];
		fill(in.i, in.i_len, (uint8_t)l);
		start(&w, HIP_R1);
		ck_assert_int_eq(hip_p_puzzle_encode(&w, &in), 0);
		const struct hip_param *p = only_param(&w, HIP_PARAM_PUZZLE);
		ck_assert_uint_eq(p->len, 4 + lens[l]);
		memset(&out, 0, sizeof(out));
		ck_assert_int_eq(hip_p_puzzle_decode(p, &out), 0);
		ck_assert_uint_eq(out.k, 10);
		ck_assert_uint_eq(out.lifetime, 37);
		ck_assert_uint_eq(out.opaque, 0xbeef);
		ck_assert_uint_eq(out.i_len, lens[l]);
		ck_assert_int_eq(memcmp(out.i, in.i, in.i_len), 0);
	}
	in.i_len = 16;
	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_puzzle_encode(&w, &in), -EINVAL);
}
END_TEST

/* 5.2.5 */
START_TEST(solution_round_trips)
{
	struct hip_p_solution in = {.k = 3, .opaque = 0x1234, .ij_len = 32}, out;
	struct wbuf w;

	fill(in.i, 32, 1);
	fill(in.j, 32, 100);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_solution_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_SOLUTION);
	ck_assert_uint_eq(p->len, 68);
	ck_assert_int_eq(hip_p_solution_decode(p, &out), 0);
	ck_assert_uint_eq(out.k, 3);
	ck_assert_uint_eq(out.opaque, 0x1234);
	ck_assert_uint_eq(out.ij_len, 32);
	ck_assert_int_eq(memcmp(out.i, in.i, 32), 0);
	ck_assert_int_eq(memcmp(out.j, in.j, 32), 0);
}
END_TEST

/* 5.2.6 DH_GROUP_LIST, 5.2.10 HIT_SUITE_LIST: one octet per ID */
START_TEST(list8_round_trips_for_both_types)
{
	static const uint16_t types[] = {HIP_PARAM_DH_GROUP_LIST, HIP_PARAM_HIT_SUITE_LIST};
	struct hip_p_list8 in = {.ids = {7, 9, 8, 3, 4, 10, 11}, .n = 7}, out;
	struct wbuf w;

	for (size_t t = 0; t < 2; t++) {
		start(&w, HIP_R1);
		ck_assert_int_eq(hip_p_list8_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_int_eq(hip_p_list8_decode(p, &out), 0);
		ck_assert_uint_eq(out.n, 7);
		ck_assert_int_eq(memcmp(out.ids, in.ids, 7), 0);
	}
	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_list8_encode(&w, HIP_PARAM_HIP_CIPHER, &in), -EINVAL);
	in.n = 0;
	ck_assert_int_eq(hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &in), -EINVAL);
}
END_TEST

/* 5.2.8 HIP_CIPHER, 5.2.11 TRANSPORT_FORMAT_LIST: 16-bit IDs */
START_TEST(list16_round_trips_for_both_types)
{
	static const uint16_t types[] = {HIP_PARAM_HIP_CIPHER, HIP_PARAM_TRANSPORT_FORMAT_LIST};
	struct hip_p_list16 in = {.ids = {4, 2, 1, 0x0fff, 0xabcd}, .n = 5}, out;
	struct wbuf w;

	for (size_t t = 0; t < 2; t++) {
		start(&w, HIP_R1);
		ck_assert_int_eq(hip_p_list16_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_uint_eq(p->len, 10);
		ck_assert_int_eq(hip_p_list16_decode(p, &out), 0);
		ck_assert_uint_eq(out.n, 5);
		ck_assert_int_eq(memcmp(out.ids, in.ids, sizeof(uint16_t) * 5), 0);
	}
	ck_assert_int_eq(hip_p_list16_encode(&w, HIP_PARAM_ESP_TRANSFORM, &in), -EINVAL);
}
END_TEST

/* RFC 7402 5.1.2: 2 reserved bytes, then 16-bit suite IDs */
START_TEST(esp_transform_round_trips)
{
	struct hip_p_list16 in = {.ids = {9, 8, 7}, .n = 3}, out;
	struct wbuf w;

	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_esp_transform_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_ESP_TRANSFORM);
	ck_assert_uint_eq(p->len, 8);
	ck_assert_uint_eq(p->val[0], 0);
	ck_assert_uint_eq(p->val[1], 0);
	ck_assert_int_eq(hip_p_esp_transform_decode(p, &out), 0);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_uint_eq(out.ids[0], 9);
	ck_assert_uint_eq(out.ids[2], 7);
}
END_TEST

/* 5.2.7 */
START_TEST(diffie_hellman_round_trips)
{
	uint8_t pub[97];
	struct hip_p_dh in = {.group = HIP_DH_NIST_P384, .pub = pub, .pub_len = sizeof(pub)}, out;
	struct wbuf w;

	fill(pub, sizeof(pub), 4);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_dh_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_DIFFIE_HELLMAN);
	ck_assert_uint_eq(p->len, 3 + sizeof(pub));
	ck_assert_int_eq(hip_p_dh_decode(p, &out), 0);
	ck_assert_uint_eq(out.group, HIP_DH_NIST_P384);
	ck_assert_uint_eq(out.pub_len, sizeof(pub));
	ck_assert_int_eq(memcmp(out.pub, pub, sizeof(pub)), 0);
	ck_assert_ptr_eq(out.pub, p->val + 3);
}
END_TEST

/* 5.2.9: HI length, DI-type (4 bits) / DI length (12 bits), algorithm, HI, DI */
START_TEST(host_id_round_trips_with_and_without_domain_identifier)
{
	uint8_t hi[99];
	const char *nai = "alice@p2psip.test";
	struct hip_p_host_id in = {.algorithm = HIP_HI_ECDSA,
				   .hi = hi,
				   .hi_len = sizeof(hi),
				   .di_type = 2,
				   .di = (const uint8_t *)nai,
				   .di_len = (uint16_t)strlen(nai)},
			     out;
	struct wbuf w;

	fill(hi, sizeof(hi), 9);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_host_id_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_HOST_ID);
	ck_assert_uint_eq(p->len, 6 + sizeof(hi) + strlen(nai));
	ck_assert_uint_eq(p->val[2] >> 4, 2);
	ck_assert_int_eq(hip_p_host_id_decode(p, &out), 0);
	ck_assert_uint_eq(out.algorithm, HIP_HI_ECDSA);
	ck_assert_uint_eq(out.hi_len, sizeof(hi));
	ck_assert_int_eq(memcmp(out.hi, hi, sizeof(hi)), 0);
	ck_assert_uint_eq(out.di_type, 2);
	ck_assert_uint_eq(out.di_len, strlen(nai));
	ck_assert_int_eq(memcmp(out.di, nai, strlen(nai)), 0);

	in.di_type = 0;
	in.di = NULL;
	in.di_len = 0;
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_host_id_encode(&w, &in), 0);
	p = only_param(&w, HIP_PARAM_HOST_ID);
	ck_assert_int_eq(hip_p_host_id_decode(p, &out), 0);
	ck_assert_uint_eq(out.di_type, 0);
	ck_assert_uint_eq(out.di_len, 0);
	ck_assert_ptr_null(out.di);
	ck_assert_uint_eq(out.hi_len, sizeof(hi));
}
END_TEST

/* 5.2.18: 4 reserved bytes, then IV and encrypted data */
START_TEST(encrypted_round_trips)
{
	uint8_t data[48];
	struct hip_p_encrypted in = {.data = data, .len = sizeof(data)}, out;
	struct wbuf w;

	fill(data, sizeof(data), 77);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_encrypted_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_ENCRYPTED);
	ck_assert_uint_eq(p->len, 4 + sizeof(data));
	ck_assert_int_eq(hip_p_encrypted_decode(p, &out), 0);
	ck_assert_uint_eq(out.len, sizeof(data));
	ck_assert_int_eq(memcmp(out.data, data, sizeof(data)), 0);
}
END_TEST

/* 5.2.14 HIP_SIGNATURE, 5.2.15 HIP_SIGNATURE_2: algorithm, signature */
START_TEST(signature_round_trips_for_both_types)
{
	static const uint16_t types[] = {HIP_PARAM_HIP_SIGNATURE, HIP_PARAM_HIP_SIGNATURE_2};
	uint8_t sig[96];
	struct hip_p_signature in = {.algorithm = HIP_HI_ECDSA, .sig = sig, .sig_len = sizeof(sig)},
			       out;
	struct wbuf w;

	fill(sig, sizeof(sig), 33);
	for (size_t t = 0; t < 2; t++) {
		start(&w, HIP_R2);
		ck_assert_int_eq(hip_p_signature_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_int_eq(hip_p_signature_decode(p, &out), 0);
		ck_assert_uint_eq(out.algorithm, HIP_HI_ECDSA);
		ck_assert_uint_eq(out.sig_len, sizeof(sig));
		ck_assert_int_eq(memcmp(out.sig, sig, sizeof(sig)), 0);
	}
	ck_assert_int_eq(hip_p_signature_encode(&w, HIP_PARAM_HIP_MAC, &in), -EINVAL);
}
END_TEST

/* 5.2.12 HIP_MAC, 5.2.13 HIP_MAC_2 */
START_TEST(mac_round_trips_for_both_types)
{
	static const uint16_t types[] = {HIP_PARAM_HIP_MAC, HIP_PARAM_HIP_MAC_2};
	uint8_t mac[48];
	const uint8_t *out;
	size_t out_len;
	struct wbuf w;

	fill(mac, sizeof(mac), 5);
	for (size_t t = 0; t < 2; t++) {
		start(&w, HIP_R2);
		ck_assert_int_eq(hip_p_mac_encode(&w, types[t], mac, sizeof(mac)), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_int_eq(hip_p_mac_decode(p, &out, &out_len), 0);
		ck_assert_uint_eq(out_len, sizeof(mac));
		ck_assert_int_eq(memcmp(out, mac, sizeof(mac)), 0);
	}
	ck_assert_int_eq(hip_p_mac_encode(&w, HIP_PARAM_SEQ, mac, sizeof(mac)), -EINVAL);
}
END_TEST

/* 5.2.19: reserved, Notify Message Type, Notification Data (may be empty) */
START_TEST(notification_round_trips_with_and_without_data)
{
	const uint8_t data[] = {0x02, 0x01};
	struct hip_p_notification in = {.msg_type = HIP_NTF_UNSUPPORTED_CRITICAL_PARAMETER_TYPE,
					.data = data,
					.data_len = sizeof(data)},
				  out;
	struct wbuf w;

	start(&w, HIP_NOTIFY);
	ck_assert_int_eq(hip_p_notification_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_NOTIFICATION);
	ck_assert_int_eq(hip_p_notification_decode(p, &out), 0);
	ck_assert_uint_eq(out.msg_type, HIP_NTF_UNSUPPORTED_CRITICAL_PARAMETER_TYPE);
	ck_assert_uint_eq(out.data_len, 2);
	ck_assert_int_eq(memcmp(out.data, data, 2), 0);

	in.msg_type = HIP_NTF_I2_ACKNOWLEDGEMENT;
	in.data = NULL;
	in.data_len = 0;
	start(&w, HIP_NOTIFY);
	ck_assert_int_eq(hip_p_notification_encode(&w, &in), 0);
	p = only_param(&w, HIP_PARAM_NOTIFICATION);
	ck_assert_int_eq(hip_p_notification_decode(p, &out), 0);
	ck_assert_uint_eq(out.msg_type, HIP_NTF_I2_ACKNOWLEDGEMENT);
	ck_assert_uint_eq(out.data_len, 0);
}
END_TEST

/* RFC 7402 5.1.1: reserved, KEYMAT index, OLD SPI, NEW SPI */
START_TEST(esp_info_round_trips)
{
	struct hip_p_esp_info in = {.keymat_index = 128, .old_spi = 0, .new_spi = 0xdeadbeef}, out;
	struct wbuf w;

	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_esp_info_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_ESP_INFO);
	ck_assert_uint_eq(p->len, 12);
	ck_assert_int_eq(hip_p_esp_info_decode(p, &out), 0);
	ck_assert_uint_eq(out.keymat_index, 128);
	ck_assert_uint_eq(out.old_spi, 0);
	ck_assert_uint_eq(out.new_spi, 0xdeadbeef);
}
END_TEST

/* RFC 5770 5.4: reserved, then mode IDs in preference order */
START_TEST(nat_traversal_mode_round_trips)
{
	struct hip_p_list16 in = {.ids = {HIP_NAT_MODE_ICE_STUN_UDP, HIP_NAT_MODE_UDP_ENCAP},
				  .n = 2};
	struct hip_p_list16 out;
	struct wbuf w;

	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_nat_mode_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_NAT_TRAVERSAL_MODE);
	ck_assert_uint_eq(p->len, 6);
	ck_assert_uint_eq(p->val[0] | p->val[1], 0);
	ck_assert_int_eq(hip_p_nat_mode_decode(p, &out), 0);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.ids[0], HIP_NAT_MODE_ICE_STUN_UDP);
	ck_assert_uint_eq(out.ids[1], HIP_NAT_MODE_UDP_ENCAP);
}
END_TEST

/* RFC 5770 5.4: a sender lists at most six modes; a receiver keeps the first six */
START_TEST(nat_traversal_mode_keeps_the_first_six)
{
	uint8_t b[2 + 2 * 9] = {0};
	struct hip_p_list16 out, big = {.n = 7};
	struct hip_param p;
	struct wbuf w;

	for (int i = 0; i < 9; i++)
		b[3 + 2 * i] = (uint8_t)(i + 1);
	p = view(HIP_PARAM_NAT_TRAVERSAL_MODE, b, sizeof(b));
	ck_assert_int_eq(hip_p_nat_mode_decode(&p, &out), 0);
	ck_assert_uint_eq(out.n, 6);
	ck_assert_uint_eq(out.ids[5], 6);
	p = view(HIP_PARAM_NAT_TRAVERSAL_MODE, b, 3); /* odd */
	ck_assert_int_eq(hip_p_nat_mode_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_NAT_TRAVERSAL_MODE, b, 2); /* reserved only */
	ck_assert_int_eq(hip_p_nat_mode_decode(&p, &out), -HIPW_EPARAM);
	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_nat_mode_encode(&w, &big), -EINVAL);
}
END_TEST

/* RFC 5770 5.5: Min Ta, 32 bits */
START_TEST(transaction_pacing_round_trips_and_checks_length)
{
	uint8_t b[8] = {0};
	struct hip_param p;
	uint32_t ta = 0;
	struct wbuf w;

	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_pacing_encode(&w, 20), 0);
	ck_assert_int_eq(hip_p_pacing_decode(only_param(&w, HIP_PARAM_TRANSACTION_PACING), &ta), 0);
	ck_assert_uint_eq(ta, 20);
	p = view(HIP_PARAM_TRANSACTION_PACING, b, 8);
	ck_assert_int_eq(hip_p_pacing_decode(&p, &ta), -HIPW_EPARAM);
	p = view(HIP_PARAM_TRANSACTION_PACING, b, 2);
	ck_assert_int_eq(hip_p_pacing_decode(&p, &ta), -HIPW_EPARAM);
}
END_TEST

/* RFC 5770 5.7 (Figure 9): a type-2 locator is 8 + 28 bytes, Locator Length 7 */
START_TEST(transport_locators_round_trip_with_the_rfc_layout)
{
	struct hip_p_locator_set in = {.n = 2}, out;
	struct wbuf w;

	memset(&in.loc, 0, sizeof(in.loc));
	in.loc[0].traffic = HIP_LOCATOR_TRAFFIC_BOTH;
	in.loc[0].type = HIP_LOCATOR_TRANSPORT;
	in.loc[0].preferred = 1;
	in.loc[0].protocol = 17;
	in.loc[0].kind = HIP_LOCATOR_KIND_SRFLX;
	in.loc[0].port = 10500;
	in.loc[0].lifetime = 600;
	in.loc[0].priority = 1694498815;
	in.loc[0].spi = 0x11223344;
	in.loc[0].addr.s6_addr[10] = in.loc[0].addr.s6_addr[11] = 0xff;
	in.loc[0].addr.s6_addr[12] = 203, in.loc[0].addr.s6_addr[15] = 7;
	in.loc[1] = in.loc[0];
	in.loc[1].kind = HIP_LOCATOR_KIND_RELAY;
	in.loc[1].preferred = 0;
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_locator_set_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_LOCATOR_SET);
	ck_assert_uint_eq(p->len, 2 * 36);
	ck_assert_uint_eq(p->val[1], HIP_LOCATOR_TRANSPORT);
	ck_assert_uint_eq(p->val[2], 7);
	ck_assert_uint_eq(p->val[3], 1);
	ck_assert_uint_eq(p->val[8] << 8 | p->val[9], 10500);
	ck_assert_uint_eq(p->val[10], 17);
	ck_assert_uint_eq(p->val[11], HIP_LOCATOR_KIND_SRFLX);
	ck_assert_int_eq(hip_p_locator_set_decode(p, &out), 0);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.skipped, 0);
	ck_assert_mem_eq(&out.loc[0], &in.loc[0], sizeof(in.loc[0]));
	ck_assert_mem_eq(&out.loc[1], &in.loc[1], sizeof(in.loc[1]));
}
END_TEST

/* RFC 8046 4: types 0 and 1 decode; unknown types are skipped, not fatal */
START_TEST(locator_set_skips_unknown_types_and_rejects_bad_lengths)
{
	uint8_t b[8 + 16 + 8 + 8 + 8 + 20] = {0};
	struct hip_p_locator_set out;
	struct hip_param p;

	b[1] = HIP_LOCATOR_IPV6, b[2] = 4, b[23] = 1;	 /* ::1 */
	b[24 + 1] = 9, b[24 + 2] = 2;			 /* type 9, 8 bytes */
	b[40 + 1] = HIP_LOCATOR_ESP_IPV6, b[40 + 2] = 5; /* SPI + address */
	b[40 + 11] = 0x42;				 /* SPI 0x42 */
	p = view(HIP_PARAM_LOCATOR_SET, b, sizeof(b));
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), 0);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.skipped, 1);
	ck_assert_uint_eq(out.loc[1].spi, 0x42);
	/* only unknown types: nothing usable */
	p = view(HIP_PARAM_LOCATOR_SET, b + 24, 16);
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), -HIPW_EPARAM);
	/* a type-2 locator must have Locator Length 7 */
	b[1] = HIP_LOCATOR_TRANSPORT;
	p = view(HIP_PARAM_LOCATOR_SET, b, 24);
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), -HIPW_EPARAM);
	/* Locator Length past the parameter */
	b[1] = HIP_LOCATOR_IPV6, b[2] = 5;
	p = view(HIP_PARAM_LOCATOR_SET, b, 24);
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), -HIPW_EPARAM);
	/* traffic type 3 is undefined */
	b[0] = 3, b[2] = 4;
	p = view(HIP_PARAM_LOCATOR_SET, b, 24);
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), -HIPW_EPARAM);
	/* a header cut short */
	b[0] = 0;
	p = view(HIP_PARAM_LOCATOR_SET, b, 6);
	ck_assert_int_eq(hip_p_locator_set_decode(&p, &out), -HIPW_EPARAM);
}
END_TEST

/* ======== registration (RFC 8003 4) and relay parameters (RFC 5770 5.6, 5.8) ======== */

/* RFC 8003 4.2: Min Lifetime, Max Lifetime, types; 3.1: an empty REG_INFO says
 * "no services now" */
START_TEST(reg_info_round_trips_and_may_list_no_type)
{
	struct hip_p_reg_info in = {
	    .min_lifetime = 91, .max_lifetime = 158, .types = {2, 1}, .n = 2};
	struct hip_p_reg_info out;
	struct wbuf w;

	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_reg_info_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_REG_INFO);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(p->val[0], 91);
	ck_assert_uint_eq(p->val[1], 158);
	ck_assert_uint_eq(p->val[2], 2);
	ck_assert_int_eq(hip_p_reg_info_decode(p, &out), 0);
	ck_assert_uint_eq(out.min_lifetime, 91);
	ck_assert_uint_eq(out.max_lifetime, 158);
	ck_assert_uint_eq(out.n, 2);
	ck_assert(hip_p_reg_has(out.types, out.n, HIP_REG_RELAY_UDP_HIP));
	ck_assert(!hip_p_reg_has(out.types, out.n, 3));
	in.n = 0;
	start(&w, HIP_R1);
	ck_assert_int_eq(hip_p_reg_info_encode(&w, &in), 0);
	ck_assert_int_eq(hip_p_reg_info_decode(only_param(&w, HIP_PARAM_REG_INFO), &out), 0);
	ck_assert_uint_eq(out.n, 0);
}
END_TEST

/* RFC 8003 4.3-4.5: one octet (Lifetime or Failure Type), then the types */
START_TEST(reg_request_response_and_failed_round_trip)
{
	static const uint16_t types[] = {HIP_PARAM_REG_REQUEST, HIP_PARAM_REG_RESPONSE,
					 HIP_PARAM_REG_FAILED};
	struct hip_p_reg in = {.head = 138, .types = {HIP_REG_RELAY_UDP_HIP, 7, 9}, .n = 3}, out;
	struct wbuf w;

	for (size_t t = 0; t < 3; t++) {
		start(&w, HIP_I2);
		ck_assert_int_eq(hip_p_reg_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_uint_eq(p->len, 4);
		ck_assert_int_eq(hip_p_reg_decode(p, &out), 0);
		ck_assert_uint_eq(out.head, 138);
		ck_assert_uint_eq(out.n, 3);
		ck_assert_mem_eq(out.types, in.types, 3);
	}
}
END_TEST

START_TEST(reg_lists_without_types_or_too_long_are_rejected)
{
	uint8_t b[300] = {0};
	struct hip_p_reg r, none = {.head = 1, .n = 0};
	struct hip_p_reg_info info;
	struct hip_param p;
	struct wbuf w;

	p = view(HIP_PARAM_REG_REQUEST, b, 1); /* Lifetime, no type */
	ck_assert_int_eq(hip_p_reg_decode(&p, &r), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_INFO, b, 1); /* Min Lifetime only */
	ck_assert_int_eq(hip_p_reg_info_decode(&p, &info), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_RESPONSE, b, 257); /* 256 types: more than there are */
	ck_assert_int_eq(hip_p_reg_decode(&p, &r), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_INFO, b, 258);
	ck_assert_int_eq(hip_p_reg_info_decode(&p, &info), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_FAILED, b, 256); /* 255 types is the most */
	ck_assert_int_eq(hip_p_reg_decode(&p, &r), 0);
	ck_assert_uint_eq(r.n, 255);
	p = view(HIP_PARAM_REG_FAILED, b, 0);
	ck_assert_int_eq(hip_p_reg_decode(&p, &r), -HIPW_EZEROLEN);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_reg_encode(&w, HIP_PARAM_REG_REQUEST, &none), -EINVAL);
	none.n = 1;
	ck_assert_int_eq(hip_p_reg_encode(&w, HIP_PARAM_REG_INFO, &none), -EINVAL);
	ck_assert_int_eq(hip_p_reg_encode(&w, HIP_PARAM_REG_FROM, &none), -EINVAL);
}
END_TEST

/* ======== overlay routing parameters (RFC 6079 6, RFC 6028 4.1) ======== */

/* RFC 6028 4.1, Figure 1: Flags, Reserved, then the HITs; Length = n * 16 + 4;
 * Table 1: SYMMETRIC is bit 0, MUST_FOLLOW bit 1 of Flags (MSB first) */
START_TEST(route_lists_round_trip_with_the_rfc_layout)
{
	static const uint16_t types[] = {HIP_PARAM_ROUTE_DST, HIP_PARAM_ROUTE_VIA};
	struct hip_p_route in = {.flags = HIP_ROUTE_SYMMETRIC | HIP_ROUTE_MUST_FOLLOW, .n = 2};
	struct hip_p_route out;
	struct wbuf w;

	in.hits[0] = hit_a;
	in.hits[1] = hit_b;
	for (size_t t = 0; t < 2; t++) {
		start(&w, HIP_I1);
		ck_assert_int_eq(hip_p_route_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_uint_eq(p->len, 2 * 16 + 4);
		ck_assert_uint_eq(p->val[0], 0xc0);
		ck_assert_uint_eq(p->val[1] | p->val[2] | p->val[3], 0);
		ck_assert_mem_eq(p->val + 4, &hit_a, 16);
		ck_assert_int_eq(hip_p_route_decode(p, &out), 0);
		ck_assert_uint_eq(out.flags, in.flags);
		ck_assert_uint_eq(out.n, 2);
		ck_assert_mem_eq(&out.hits[1], &hit_b, 16);
	}
}
END_TEST

/* RFC 6028 4.1: "the ROUTE_VIA parameter can also have zero HITs" */
START_TEST(empty_route_via_is_valid)
{
	struct hip_p_route in = {.flags = HIP_ROUTE_SYMMETRIC}, out;
	struct wbuf w;

	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_route_encode(&w, HIP_PARAM_ROUTE_VIA, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_ROUTE_VIA);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_int_eq(hip_p_route_decode(p, &out), 0);
	ck_assert_uint_eq(out.n, 0);
	ck_assert_uint_eq(out.flags, HIP_ROUTE_SYMMETRIC);
}
END_TEST

/* RFC 6028 4.1: ROUTE_DST "MUST have at least one HIT"; neither list "SHALL
 * contain more than 32 HITs"; the length is 4 + 16 * n */
START_TEST(malformed_route_lists_are_rejected)
{
	static uint8_t b[4 + 33 * 16];
	struct hip_p_route out, big = {.n = 33}, none = {.n = 0};
	struct hip_param p;
	struct wbuf w;

	p = view(HIP_PARAM_ROUTE_DST, b, 4); /* no HIT */
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_ROUTE_VIA, b, 3); /* shorter than Flags + Reserved */
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_ROUTE_VIA, b, 4 + 15); /* a cut HIT */
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_ROUTE_DST, b, 4 + 17);
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_ROUTE_VIA, b, 4 + 33 * 16); /* 33 HITs */
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_ROUTE_VIA, b, 4 + 32 * 16); /* 32 is the most */
	ck_assert_int_eq(hip_p_route_decode(&p, &out), 0);
	ck_assert_uint_eq(out.n, 32);
	p = view(HIP_PARAM_ROUTE_DST, b, 0);
	ck_assert_int_eq(hip_p_route_decode(&p, &out), -HIPW_EZEROLEN);
	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_route_encode(&w, HIP_PARAM_ROUTE_DST, &none), -EINVAL);
	ck_assert_int_eq(hip_p_route_encode(&w, HIP_PARAM_ROUTE_VIA, &big), -EINVAL);
	ck_assert_int_eq(hip_p_route_encode(&w, HIP_PARAM_OVERLAY_ID, &none), -EINVAL);
}
END_TEST

/* RFC 6079 6.1 (Figure 8) and 6.2 (Figure 9, Length 4, TTL then Reserved) */
START_TEST(overlay_id_and_ttl_round_trip)
{
	static const uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
	const uint8_t *got;
	size_t got_len;
	uint16_t ttl;
	struct wbuf w;

	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_overlay_id_encode(&w, id, sizeof(id)), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_OVERLAY_ID);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(p->total, 8);
	ck_assert_int_eq(hip_p_overlay_id_decode(p, &got, &got_len), 0);
	ck_assert_uint_eq(got_len, 4);
	ck_assert_mem_eq(got, id, 4);
	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_overlay_ttl_encode(&w, 31), 0);
	p = only_param(&w, HIP_PARAM_OVERLAY_TTL);
	ck_assert_uint_eq(p->len, 4);
	ck_assert_uint_eq(p->val[1], 31);
	ck_assert_int_eq(hip_p_overlay_ttl_decode(p, &ttl), 0);
	ck_assert_uint_eq(ttl, 31);
}
END_TEST

START_TEST(malformed_overlay_parameters_are_rejected)
{
	static uint8_t b[HIP_OVERLAY_ID_MAX + 1];
	const uint8_t *got;
	size_t got_len;
	uint16_t ttl;
	struct hip_param p;
	struct wbuf w;

	p = view(HIP_PARAM_OVERLAY_ID, b, 0);
	ck_assert_int_eq(hip_p_overlay_id_decode(&p, &got, &got_len), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_OVERLAY_ID, b, HIP_OVERLAY_ID_MAX + 1);
	ck_assert_int_eq(hip_p_overlay_id_decode(&p, &got, &got_len), -HIPW_EPARAM);
	p = view(HIP_PARAM_OVERLAY_TTL, b, 2);
	ck_assert_int_eq(hip_p_overlay_ttl_decode(&p, &ttl), -HIPW_EPARAM);
	p = view(HIP_PARAM_OVERLAY_TTL, b, 8);
	ck_assert_int_eq(hip_p_overlay_ttl_decode(&p, &ttl), -HIPW_EPARAM);
	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_overlay_id_encode(&w, b, 0), -EINVAL);
	ck_assert_int_eq(hip_p_overlay_id_encode(&w, b, HIP_OVERLAY_ID_MAX + 1), -EINVAL);
}
END_TEST

/* RFC 6028 4: both lists and OVERLAY_TTL are critical (odd types), OVERLAY_ID
 * is not; ROUTE_DST and OVERLAY_ID sit below HIP_MAC (covered by MAC and
 * signature), OVERLAY_TTL and ROUTE_VIA above HIP_SIGNATURE (not covered) */
START_TEST(overlay_types_have_the_rfc_criticality_and_coverage)
{
	ck_assert(HIP_PARAM_ROUTE_DST & 1);
	ck_assert(HIP_PARAM_ROUTE_VIA & 1);
	ck_assert(HIP_PARAM_OVERLAY_TTL & 1);
	ck_assert(!(HIP_PARAM_OVERLAY_ID & 1));
	ck_assert_uint_lt(HIP_PARAM_OVERLAY_ID, HIP_PARAM_HIP_MAC);
	ck_assert_uint_lt(HIP_PARAM_ROUTE_DST, HIP_PARAM_HIP_MAC);
	ck_assert_uint_gt(HIP_PARAM_OVERLAY_TTL, HIP_PARAM_HIP_SIGNATURE);
	ck_assert_uint_gt(HIP_PARAM_ROUTE_VIA, HIP_PARAM_HIP_SIGNATURE);
	ck_assert_uint_lt(HIP_PARAM_ROUTE_VIA, HIP_PARAM_RELAY_HMAC);
}
END_TEST

/* ======== Notification Data of the overlay hops' NOTIFYs (RFC 6079 6.2, RFC 6028 3.3) ======== */

/* An I1 from A to B with ROUTE_DST [A, B], TRANSACTION_ID (RFC 6078 4.4, a type
 * the parser skips) of tid_len octets and OVERLAY_TTL 0, parsed into msg. */
static void routed_i1(size_t tid_len)
{
	static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct hip_p_route dst = {.flags = HIP_ROUTE_MUST_FOLLOW, .n = 2};
	struct wbuf w;

	dst.hits[0] = hit_a;
	dst.hits[1] = hit_b;
	start(&w, HIP_I1);
	if (tid_len)
		hip_build_param(&w, HIP_PARAM_TRANSACTION_ID, tid, tid_len);
	hip_p_route_encode(&w, HIP_PARAM_ROUTE_DST, &dst);
	hip_p_overlay_ttl_encode(&w, 0);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_ptr_null(hip_msg_find(&msg, HIP_PARAM_TRANSACTION_ID));
}

/* RFC 6028 3.3: "the HIP header of the rejected packet and the ROUTE_DST
 * parameter"; RFC 6079 6.2: the header and TRANSACTION_ID "if one exists" */
START_TEST(overlay_notification_data_holds_the_header_and_one_parameter)
{
	static uint8_t data[HIP_MAX_PACKET_LEN];
	struct hip_ntf_pkt got;
	struct hip_p_route dst;
	struct wbuf w;

	routed_i1(5);
	wbuf_init(&w, data, sizeof(data));
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, HIP_PARAM_ROUTE_DST), 0);
	ck_assert_uint_eq(w.len, HIP_HDR_LEN + 4 + 4 + 2 * 16);
	ck_assert_mem_eq(data, pkt, HIP_HDR_LEN);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, w.len, &got), 0);
	ck_assert_uint_eq(got.type, HIP_I1);
	ck_assert_mem_eq(&got.hit_s, &hit_a, 16);
	ck_assert_mem_eq(&got.hit_r, &hit_b, 16);
	ck_assert_uint_eq(got.param.type, HIP_PARAM_ROUTE_DST);
	ck_assert_int_eq(hip_p_route_decode(&got.param, &dst), 0);
	ck_assert_uint_eq(dst.n, 2);
	ck_assert_mem_eq(&dst.hits[1], &hit_b, 16);
	/* TRANSACTION_ID is found in the raw packet, padding and all */
	wbuf_init(&w, data, sizeof(data));
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, HIP_PARAM_TRANSACTION_ID), 0);
	ck_assert_uint_eq(w.len, HIP_HDR_LEN + 16);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, w.len, &got), 0);
	ck_assert_uint_eq(got.param.type, HIP_PARAM_TRANSACTION_ID);
	ck_assert_uint_eq(got.param.len, 5);
	ck_assert_uint_eq(got.param.val[4], 5);
	/* a packet without it, or asked for none: the header alone */
	routed_i1(0);
	wbuf_init(&w, data, sizeof(data));
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, HIP_PARAM_TRANSACTION_ID), 0);
	ck_assert_uint_eq(w.len, HIP_HDR_LEN);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, w.len, &got), 0);
	ck_assert_uint_eq(got.param.type, 0);
	wbuf_init(&w, data, sizeof(data));
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, 0), 0);
	ck_assert_uint_eq(w.len, HIP_HDR_LEN);
	wbuf_init(&w, data, HIP_HDR_LEN + 8); /* no room for the ROUTE_DST */
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, HIP_PARAM_ROUTE_DST), -ENOBUFS);
}
END_TEST

/* Untrusted data from a hop: cut headers, cut or empty parameters, and
 * anything after a parameter but its padding are refused; padding may be
 * missing at the end */
START_TEST(malformed_overlay_notification_data_is_rejected)
{
	static uint8_t data[HIP_MAX_PACKET_LEN];
	struct hip_ntf_pkt got;
	struct wbuf w;
	size_t len;

	routed_i1(0);
	wbuf_init(&w, data, sizeof(data));
	ck_assert_int_eq(hip_ntf_pkt_encode(&w, &msg, HIP_PARAM_ROUTE_DST), 0);
	len = w.len; /* header + ROUTE_DST of 2 HITs: 40 + 40, no padding */
	ck_assert_int_eq(hip_ntf_pkt_decode(data, 0, &got), -HIPW_ETRUNC);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN - 1, &got), -HIPW_ETRUNC);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN + 3, &got), -HIPW_EPARAM);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, len - 1, &got), -HIPW_EPARAM);
	ck_assert_uint_eq(got.param.type, 0);
	data[len] = 0;
	ck_assert_int_eq(hip_ntf_pkt_decode(data, len + 1, &got), -HIPW_EPARAM);
	/* Length 0 */
	memset(data + HIP_HDR_LEN + 2, 0, 2);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, len, &got), -HIPW_EPARAM);
	/* Length past the end */
	data[HIP_HDR_LEN + 2] = 0xff;
	ck_assert_int_eq(hip_ntf_pkt_decode(data, len, &got), -HIPW_EPARAM);
	/* a 1-octet parameter: 3 octets of padding, present, absent or too few */
	memset(data + HIP_HDR_LEN, 0, 8);
	data[HIP_HDR_LEN + 1] = 0x7f;
	data[HIP_HDR_LEN + 3] = 1;
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN + 8, &got), 0);
	ck_assert_uint_eq(got.param.len, 1);
	ck_assert_uint_eq(got.param.total, 8);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN + 5, &got), 0);
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN + 6, &got), -HIPW_EPARAM);
	/* a second parameter after the first */
	ck_assert_int_eq(hip_ntf_pkt_decode(data, HIP_HDR_LEN + 16, &got), -HIPW_EPARAM);
}
END_TEST

/* RFC 5770 5.6, Figure 8: Port, Protocol, Reserved, 16-byte address; Length 20 */
START_TEST(relay_addresses_round_trip_with_the_rfc_layout)
{
	static const uint16_t types[] = {HIP_PARAM_REG_FROM, HIP_PARAM_RELAY_FROM,
					 HIP_PARAM_RELAY_TO};
	struct hip_p_relay_addr in = {.port = 10500, .protocol = 17}, out;
	struct wbuf w;

	inet_pton(AF_INET6, "::ffff:203.0.113.1", &in.addr);
	for (size_t t = 0; t < 3; t++) {
		start(&w, HIP_R2);
		ck_assert_int_eq(hip_p_relay_addr_encode(&w, types[t], &in), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_uint_eq(p->len, 20);
		ck_assert_uint_eq(p->val[0] << 8 | p->val[1], 10500);
		ck_assert_uint_eq(p->val[2], 17);
		ck_assert_uint_eq(p->val[3], 0);
		ck_assert_int_eq(hip_p_relay_addr_decode(p, &out), 0);
		ck_assert_uint_eq(out.port, in.port);
		ck_assert_uint_eq(out.protocol, in.protocol);
		ck_assert_mem_eq(&out.addr, &in.addr, sizeof(in.addr));
	}
	start(&w, HIP_R2);
	ck_assert_int_eq(hip_p_relay_addr_encode(&w, HIP_PARAM_REG_INFO, &in), -EINVAL);
}
END_TEST

/* 5.6: "Reserved ... ignored when received"; the length is fixed */
START_TEST(relay_address_with_wrong_length_is_rejected)
{
	uint8_t b[24] = {0x28, 0x04, 17, 0xee};
	struct hip_p_relay_addr out;
	struct hip_param p;

	p = view(HIP_PARAM_RELAY_FROM, b, 20);
	ck_assert_int_eq(hip_p_relay_addr_decode(&p, &out), 0);
	ck_assert_uint_eq(out.port, 10244);
	p = view(HIP_PARAM_RELAY_FROM, b, 19);
	ck_assert_int_eq(hip_p_relay_addr_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_RELAY_TO, b, 24);
	ck_assert_int_eq(hip_p_relay_addr_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_FROM, b, 4);
	ck_assert_int_eq(hip_p_relay_addr_decode(&p, &out), -HIPW_EPARAM);
	p = view(HIP_PARAM_REG_FROM, b, 0);
	ck_assert_int_eq(hip_p_relay_addr_decode(&p, &out), -HIPW_EZEROLEN);
}
END_TEST

/* 5.6: "an IPv6 address or an IPv4 address in IPv4-Mapped IPv6 address format" */
START_TEST(relay_addresses_map_ipv4_into_ipv6_and_back)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(4242)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(10500)};
	struct sockaddr_storage back;
	struct hip_p_relay_addr a;
	struct sockaddr sa = {.sa_family = AF_UNIX};

	inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
	ck_assert_int_eq(hip_p_relay_addr_from_sa((struct sockaddr *)&sin, 17, &a), 0);
	ck_assert(IN6_IS_ADDR_V4MAPPED(&a.addr));
	ck_assert_uint_eq(a.port, 4242);
	ck_assert_uint_eq(a.protocol, 17);
	ck_assert_int_eq(hip_p_relay_addr_to_sa(&a, &back), 0);
	ck_assert_int_eq(back.ss_family, AF_INET);
	ck_assert_mem_eq(&((struct sockaddr_in *)&back)->sin_addr, &sin.sin_addr, 4);
	ck_assert_uint_eq(((struct sockaddr_in *)&back)->sin_port, htons(4242));
	inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
	ck_assert_int_eq(hip_p_relay_addr_from_sa((struct sockaddr *)&sin6, 17, &a), 0);
	ck_assert_int_eq(hip_p_relay_addr_to_sa(&a, &back), 0);
	ck_assert_int_eq(back.ss_family, AF_INET6);
	ck_assert_mem_eq(&((struct sockaddr_in6 *)&back)->sin6_addr, &sin6.sin6_addr, 16);
	ck_assert_uint_eq(((struct sockaddr_in6 *)&back)->sin6_port, htons(10500));
	ck_assert_int_eq(hip_p_relay_addr_from_sa(&sa, 17, &a), -EAFNOSUPPORT);
}
END_TEST

/* 5.8: RELAY_HMAC has the contents of HIP_MAC under its own type */
START_TEST(relay_hmac_round_trips_like_hip_mac)
{
	uint8_t mac[32];
	const uint8_t *out;
	size_t out_len;
	struct wbuf w;

	fill(mac, sizeof(mac), 3);
	start(&w, HIP_I1);
	ck_assert_int_eq(hip_p_mac_encode(&w, HIP_PARAM_RELAY_HMAC, mac, sizeof(mac)), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_RELAY_HMAC);
	ck_assert_int_eq(hip_p_mac_decode(p, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, 32);
	ck_assert_mem_eq(out, mac, 32);
	ck_assert(!(HIP_PARAM_RELAY_HMAC & 1) && !(HIP_PARAM_RELAY_FROM & 1) &&
		  !(HIP_PARAM_RELAY_TO & 1)); /* non-critical (RFC 7401 5.2.1) */
}
END_TEST

/* RFC 8003 4.1: 0 is zero seconds, else 2^((x - 64) / 8) seconds */
START_TEST(registration_lifetimes_follow_the_exponent_encoding)
{
	ck_assert_uint_eq(hip_reg_lifetime_ms(0), 0);
	ck_assert_uint_eq(hip_reg_lifetime_ms(64), 1000);
	ck_assert_uint_eq(hip_reg_lifetime_ms(72), 2000);
	ck_assert_uint_eq(hip_reg_lifetime_ms(56), 500);
	ck_assert_uint_eq(hip_reg_lifetime_ms(68), 1414);
	ck_assert_uint_eq(hip_reg_lifetime_ms(1), 4);			/* 2^(63/8) ms: ~4 ms */
	ck_assert_uint_eq(hip_reg_lifetime_ms(255) / 86400000ull, 178); /* ~178 days */
	ck_assert_uint_eq(hip_reg_lifetime_encode(0), 0);
	ck_assert_uint_eq(hip_reg_lifetime_encode(1), 64);
	ck_assert_uint_eq(hip_reg_lifetime_encode(10), 91); /* 10.37 s */
	ck_assert_uint_eq(hip_reg_lifetime_encode(4000000000u), 255);
	for (uint32_t s = 1; s < 100000; s = s * 3 + 1) {
		uint8_t x = hip_reg_lifetime_encode(s);
		ck_assert_uint_ge(hip_reg_lifetime_ms(x), (uint64_t)s * 1000);
		ck_assert_uint_lt(hip_reg_lifetime_ms((uint8_t)(x - 1)), (uint64_t)s * 1000);
	}
	for (unsigned x = 2; x < 256; x++) /* monotonic (in whole ms: equal near 4 ms) */
		ck_assert_uint_ge(hip_reg_lifetime_ms((uint8_t)x),
				  hip_reg_lifetime_ms((uint8_t)(x - 1)));
}
END_TEST

/* RFC 7401 5.2.1 order in a registrar's R2 (RFC 8003 4.4-4.5, RFC 5770 4.1):
 * ESP_INFO, REG_RESPONSE, REG_FAILED, REG_FROM, HIP_MAC_2, HIP_SIGNATURE, and the
 * relay's parameters after the signature */
START_TEST(registration_r2_parameters_are_in_type_order)
{
	struct hip_p_esp_info ei = {.new_spi = 0x1000};
	struct hip_p_reg ok = {.head = 138, .types = {2}, .n = 1};
	struct hip_p_reg failed = {.head = 1, .types = {1}, .n = 1};
	struct hip_p_relay_addr from = {.port = 10500, .protocol = 17};
	struct hip_p_signature sig = {.algorithm = 7, .sig = pkt, .sig_len = 64};
	uint8_t mac[32] = {0};
	struct wbuf w;

	start(&w, HIP_R2);
	hip_p_esp_info_encode(&w, &ei);
	hip_p_reg_encode(&w, HIP_PARAM_REG_RESPONSE, &ok);
	hip_p_reg_encode(&w, HIP_PARAM_REG_FAILED, &failed);
	hip_p_relay_addr_encode(&w, HIP_PARAM_REG_FROM, &from);
	hip_p_mac_encode(&w, HIP_PARAM_HIP_MAC_2, mac, sizeof(mac));
	hip_p_signature_encode(&w, HIP_PARAM_HIP_SIGNATURE, &sig);
	hip_p_relay_addr_encode(&w, HIP_PARAM_RELAY_TO, &from);
	hip_p_mac_encode(&w, HIP_PARAM_RELAY_HMAC, mac, sizeof(mac));
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(msg.nparams, 8);
	ck_assert_ptr_nonnull(hip_msg_find(&msg, HIP_PARAM_REG_FROM));
	ck_assert_uint_eq(msg.params[7].type, HIP_PARAM_RELAY_HMAC);
}
END_TEST

/* 5.2.16 SEQ, 5.2.17 ACK */
START_TEST(seq_and_ack_round_trip)
{
	struct hip_p_ack in = {.ids = {1, 2, 0xffffffffu}, .n = 3}, out;
	uint32_t id = 0;
	struct wbuf w;

	start(&w, HIP_UPDATE);
	ck_assert_int_eq(hip_p_seq_encode(&w, 0x01020304), 0);
	ck_assert_int_eq(hip_p_ack_encode(&w, &in), 0);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_int_eq(hip_p_seq_decode(hip_msg_find(&msg, HIP_PARAM_SEQ), &id), 0);
	ck_assert_uint_eq(id, 0x01020304);
	ck_assert_int_eq(hip_p_ack_decode(hip_msg_find(&msg, HIP_PARAM_ACK), &out), 0);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_uint_eq(out.ids[2], 0xffffffffu);
}
END_TEST

/* RFC 8002 section 2: CERT group, count, ID, type, certificate */
START_TEST(cert_round_trips)
{
	uint8_t der[300];
	struct hip_p_cert in = {.group = 1,
				.count = 2,
				.id = 1,
				.cert_type = 1,
				.cert = der,
				.cert_len = sizeof(der)},
			  out;
	struct wbuf w;

	fill(der, sizeof(der), 8);
	start(&w, HIP_UPDATE);
	ck_assert_int_eq(hip_p_cert_encode(&w, &in), 0);
	const struct hip_param *p = only_param(&w, HIP_PARAM_CERT);
	ck_assert_int_eq(hip_p_cert_decode(p, &out), 0);
	ck_assert_uint_eq(out.group, 1);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_uint_eq(out.id, 1);
	ck_assert_uint_eq(out.cert_type, 1);
	ck_assert_uint_eq(out.cert_len, sizeof(der));
	ck_assert_int_eq(memcmp(out.cert, der, sizeof(der)), 0);
}
END_TEST

/* 5.2.20-5.2.23: opaque data, all four ECHO types */
START_TEST(echo_round_trips_for_all_four_types)
{
	static const uint16_t types[] = {
	    HIP_PARAM_ECHO_REQUEST_SIGNED, HIP_PARAM_ECHO_RESPONSE_SIGNED,
	    HIP_PARAM_ECHO_RESPONSE_UNSIGNED, HIP_PARAM_ECHO_REQUEST_UNSIGNED};
	const uint8_t data[] = "opaque";
	const uint8_t *out;
	size_t out_len;
	struct wbuf w;

	for (size_t t = 0; t < 4; t++) {
		start(&w, HIP_R1);
		ck_assert_int_eq(hip_p_echo_encode(&w, types[t], data, 6), 0);
		const struct hip_param *p = only_param(&w, types[t]);
		ck_assert_int_eq(hip_p_echo_decode(p, &out, &out_len), 0);
		ck_assert_uint_eq(out_len, 6);
		ck_assert_int_eq(memcmp(out, data, 6), 0);
	}
	ck_assert_int_eq(hip_p_echo_encode(&w, HIP_PARAM_SEQ, data, 6), -EINVAL);
	ck_assert_int_eq(hip_p_echo_encode(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, data, 0), -EINVAL);
}
END_TEST

/* ======== typed parameters: malformed contents ======== */

/* 5.2: a parameter with contents required but none given */
START_TEST(decoders_reject_empty_contents)
{
	const uint8_t z[1] = {0};
	struct hip_param p = view(0, z, 0);
	union {
		struct hip_p_r1_counter r1c;
		struct hip_p_puzzle puz;
		struct hip_p_solution sol;
		struct hip_p_list8 l8;
		struct hip_p_list16 l16;
		struct hip_p_dh dh;
		struct hip_p_host_id hid;
		struct hip_p_encrypted enc;
		struct hip_p_signature sig;
		struct hip_p_notification ntf;
		struct hip_p_esp_info ei;
		struct hip_p_ack ack;
		struct hip_p_cert cert;
	} u;
	const uint8_t *d;
	size_t n;
	uint32_t id;

	ck_assert_int_eq(hip_p_r1_counter_decode(&p, &u.r1c), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_puzzle_decode(&p, &u.puz), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_solution_decode(&p, &u.sol), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_list8_decode(&p, &u.l8), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_list16_decode(&p, &u.l16), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_dh_decode(&p, &u.dh), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_host_id_decode(&p, &u.hid), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_encrypted_decode(&p, &u.enc), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_signature_decode(&p, &u.sig), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_mac_decode(&p, &d, &n), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_notification_decode(&p, &u.ntf), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_esp_info_decode(&p, &u.ei), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_esp_transform_decode(&p, &u.l16), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_seq_decode(&p, &id), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_ack_decode(&p, &u.ack), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_cert_decode(&p, &u.cert), -HIPW_EZEROLEN);
	ck_assert_int_eq(hip_p_echo_decode(&p, &d, &n), -HIPW_EZEROLEN);
}
END_TEST

/* Fixed parts present, variable part empty: still no contents */
START_TEST(decoders_reject_empty_variable_part)
{
	const uint8_t b[8] = {0x07, 0x00, 0x00, 0, 0, 0, 0, 0};
	struct hip_param p;
	struct hip_p_dh dh;
	struct hip_p_encrypted enc;
	struct hip_p_signature sig;
	struct hip_p_list16 l16;
	struct hip_p_cert cert;
	struct hip_p_host_id hid;

	p = view(HIP_PARAM_DIFFIE_HELLMAN, b, 3); /* Public Value Length 0 */
	ck_assert_int_eq(hip_p_dh_decode(&p, &dh), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_ENCRYPTED, b, 4); /* reserved only */
	ck_assert_int_eq(hip_p_encrypted_decode(&p, &enc), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_HIP_SIGNATURE, b, 2); /* algorithm only */
	ck_assert_int_eq(hip_p_signature_decode(&p, &sig), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_ESP_TRANSFORM, b, 2); /* reserved only */
	ck_assert_int_eq(hip_p_esp_transform_decode(&p, &l16), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_CERT, b, 4); /* header only */
	ck_assert_int_eq(hip_p_cert_decode(&p, &cert), -HIPW_EZEROLEN);
	p = view(HIP_PARAM_HOST_ID, &b[1], 6); /* HI Length 0 */
	ck_assert_int_eq(hip_p_host_id_decode(&p, &hid), -HIPW_EZEROLEN);
}
END_TEST

/* Fixed-size parameters: R1_COUNTER 12, SEQ 4, ESP_INFO 12; ACK a multiple of 4 */
START_TEST(fixed_size_parameters_with_wrong_length_are_rejected)
{
	uint8_t b[16] = {0};
	struct hip_param p;
	struct hip_p_r1_counter r1c;
	struct hip_p_esp_info ei;
	struct hip_p_ack ack;
	struct hip_p_notification ntf;
	struct hip_p_encrypted enc;
	struct hip_p_list16 l16;
	uint32_t id;

	p = view(HIP_PARAM_R1_COUNTER, b, 8);
	ck_assert_int_eq(hip_p_r1_counter_decode(&p, &r1c), -HIPW_EPARAM);
	p = view(HIP_PARAM_R1_COUNTER, b, 16);
	ck_assert_int_eq(hip_p_r1_counter_decode(&p, &r1c), -HIPW_EPARAM);
	p = view(HIP_PARAM_SEQ, b, 8);
	ck_assert_int_eq(hip_p_seq_decode(&p, &id), -HIPW_EPARAM);
	p = view(HIP_PARAM_ESP_INFO, b, 8);
	ck_assert_int_eq(hip_p_esp_info_decode(&p, &ei), -HIPW_EPARAM);
	p = view(HIP_PARAM_ACK, b, 6);
	ck_assert_int_eq(hip_p_ack_decode(&p, &ack), -HIPW_EPARAM);
	p = view(HIP_PARAM_NOTIFICATION, b, 3);
	ck_assert_int_eq(hip_p_notification_decode(&p, &ntf), -HIPW_EPARAM);
	p = view(HIP_PARAM_ENCRYPTED, b, 3);
	ck_assert_int_eq(hip_p_encrypted_decode(&p, &enc), -HIPW_EPARAM);
	p = view(HIP_PARAM_ESP_TRANSFORM, b, 1);
	ck_assert_int_eq(hip_p_esp_transform_decode(&p, &l16), -HIPW_EPARAM);
}
END_TEST

/* 5.2.4/5.2.5: #I and #J have the RHASH length of a HIT suite */
START_TEST(puzzle_and_solution_with_odd_rhash_length_are_rejected)
{
	uint8_t b[4 + 2 * 48] = {0};
	struct hip_param p;
	struct hip_p_puzzle puz;
	struct hip_p_solution sol;

	p = view(HIP_PARAM_PUZZLE, b, 4 + 16);
	ck_assert_int_eq(hip_p_puzzle_decode(&p, &puz), -HIPW_EPARAM);
	p = view(HIP_PARAM_PUZZLE, b, 3);
	ck_assert_int_eq(hip_p_puzzle_decode(&p, &puz), -HIPW_EPARAM);
	p = view(HIP_PARAM_PUZZLE, b, 4 + 64);
	ck_assert_int_eq(hip_p_puzzle_decode(&p, &puz), -HIPW_EPARAM);
	p = view(HIP_PARAM_SOLUTION, b, 4 + 2 * 32 + 1);
	ck_assert_int_eq(hip_p_solution_decode(&p, &sol), -HIPW_EPARAM);
	p = view(HIP_PARAM_SOLUTION, b, 4 + 2 * 24);
	ck_assert_int_eq(hip_p_solution_decode(&p, &sol), -HIPW_EPARAM);
	p = view(HIP_PARAM_SOLUTION, b, 4 + 2 * 48);
	ck_assert_int_eq(hip_p_solution_decode(&p, &sol), 0);
	ck_assert_uint_eq(sol.ij_len, 48);
}
END_TEST

/* Lists: at most HIP_MAX_LIST entries; 16-bit lists have an even length */
START_TEST(lists_too_long_or_odd_are_rejected)
{
	uint8_t b[2 + 2 * (HIP_MAX_LIST + 1)] = {0};
	struct hip_param p;
	struct hip_p_list8 l8;
	struct hip_p_list16 l16;
	struct hip_p_ack ack;
	uint8_t a[4 * (HIP_MAX_LIST + 1)] = {0};

	p = view(HIP_PARAM_DH_GROUP_LIST, b, HIP_MAX_LIST);
	ck_assert_int_eq(hip_p_list8_decode(&p, &l8), 0);
	p = view(HIP_PARAM_DH_GROUP_LIST, b, HIP_MAX_LIST + 1);
	ck_assert_int_eq(hip_p_list8_decode(&p, &l8), -HIPW_EPARAM);
	p = view(HIP_PARAM_HIP_CIPHER, b, 3);
	ck_assert_int_eq(hip_p_list16_decode(&p, &l16), -HIPW_EPARAM);
	p = view(HIP_PARAM_HIP_CIPHER, b, 2 * HIP_MAX_LIST);
	ck_assert_int_eq(hip_p_list16_decode(&p, &l16), 0);
	p = view(HIP_PARAM_HIP_CIPHER, b, 2 * (HIP_MAX_LIST + 1));
	ck_assert_int_eq(hip_p_list16_decode(&p, &l16), -HIPW_EPARAM);
	p = view(HIP_PARAM_ESP_TRANSFORM, b, 2 + 3);
	ck_assert_int_eq(hip_p_esp_transform_decode(&p, &l16), -HIPW_EPARAM);
	p = view(HIP_PARAM_ESP_TRANSFORM, b, 2 + 2 * (HIP_MAX_LIST + 1));
	ck_assert_int_eq(hip_p_esp_transform_decode(&p, &l16), -HIPW_EPARAM);
	p = view(HIP_PARAM_ACK, a, 4 * (HIP_MAX_LIST + 1));
	ck_assert_int_eq(hip_p_ack_decode(&p, &ack), -HIPW_EPARAM);
}
END_TEST

/* 5.2.7: the Public Value Length must match the contents */
START_TEST(diffie_hellman_with_inconsistent_length_is_rejected)
{
	uint8_t b[3 + 64] = {HIP_DH_NIST_P256, 0x00, 0x41};
	struct hip_param p = view(HIP_PARAM_DIFFIE_HELLMAN, b, sizeof(b));
	struct hip_p_dh dh;

	ck_assert_int_eq(hip_p_dh_decode(&p, &dh), -HIPW_EPARAM); /* says 65, has 64 */
	b[2] = 0x3f;
	ck_assert_int_eq(hip_p_dh_decode(&p, &dh), -HIPW_EPARAM); /* says 63 */
	b[2] = 0x40;
	ck_assert_int_eq(hip_p_dh_decode(&p, &dh), 0);
	p = view(HIP_PARAM_DIFFIE_HELLMAN, b, 2);
	ck_assert_int_eq(hip_p_dh_decode(&p, &dh), -HIPW_EPARAM);
}
END_TEST

/* 5.2.9: HI and DI lengths must add up to the contents; no DI-Type, no DI */
START_TEST(host_id_with_inconsistent_lengths_is_rejected)
{
	/* HI Length 4, DI-Type 1 / DI Length 3, algorithm 13, HI, DI */
	uint8_t b[6 + 4 + 3] = {0, 4, 0x10, 3, 0, 13, 1, 2, 3, 4, 'a', 'b', 'c'};
	struct hip_param p = view(HIP_PARAM_HOST_ID, b, sizeof(b));
	struct hip_p_host_id h;

	ck_assert_int_eq(hip_p_host_id_decode(&p, &h), 0);
	ck_assert_uint_eq(h.algorithm, 13);
	ck_assert_uint_eq(h.di_type, 1);
	p.len = sizeof(b) - 1;
	ck_assert_int_eq(hip_p_host_id_decode(&p, &h), -HIPW_EPARAM);
	p.len = sizeof(b);
	b[1] = 5; /* HI runs into DI */
	ck_assert_int_eq(hip_p_host_id_decode(&p, &h), -HIPW_EPARAM);
	b[1] = 4;
	b[2] = 0x00; /* DI-Type none but a DI Length */
	ck_assert_int_eq(hip_p_host_id_decode(&p, &h), -HIPW_EPARAM);
	p.len = 5;
	ck_assert_int_eq(hip_p_host_id_decode(&p, &h), -HIPW_EPARAM);
}
END_TEST

/* Upper bounds: signatures, MACs, HIs beyond what any suite produces */
START_TEST(oversized_fields_are_rejected)
{
	static uint8_t b[2 + HIP_SIG_MAX + 1];
	struct hip_param p;
	struct hip_p_signature sig;
	const uint8_t *d;
	size_t n;

	p = view(HIP_PARAM_HIP_SIGNATURE, b, sizeof(b));
	ck_assert_int_eq(hip_p_signature_decode(&p, &sig), -HIPW_EPARAM);
	p = view(HIP_PARAM_HIP_MAC, b, HIP_RHASH_MAX + 1);
	ck_assert_int_eq(hip_p_mac_decode(&p, &d, &n), -HIPW_EPARAM);
}
END_TEST

/* Encoders refuse values the wire cannot carry */
START_TEST(encoders_reject_unencodable_values)
{
	struct wbuf w;
	struct hip_p_list16 l16 = {.n = HIP_MAX_LIST + 1};
	struct hip_p_dh dh = {.group = 7, .pub = NULL, .pub_len = 0};
	struct hip_p_host_id hid = {.hi = (const uint8_t *)"x", .hi_len = 1, .di_len = 1};
	struct hip_p_ack ack = {.n = 0};

	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_list16_encode(&w, HIP_PARAM_HIP_CIPHER, &l16), -EINVAL);
	ck_assert_int_eq(hip_p_esp_transform_encode(&w, &l16), -EINVAL);
	ck_assert_int_eq(hip_p_dh_encode(&w, &dh), -EINVAL);
	ck_assert_int_eq(hip_p_host_id_encode(&w, &hid), -EINVAL);
	ck_assert_int_eq(hip_p_ack_encode(&w, &ack), -EINVAL);
	ck_assert_uint_eq(w.len, 40);
}
END_TEST

/* ======== building ======== */

START_TEST(builder_reports_overflow)
{
	uint8_t small[48];
	uint8_t v[16] = {0};
	struct wbuf w;

	wbuf_init(&w, small, sizeof(small));
	ck_assert_int_eq(hip_build_start(&w, HIP_I1, 0, &hit_a, &hit_b), 0);
	ck_assert_int_eq(hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, v, 4), 0);
	ck_assert_int_eq(hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, v, 4), -ENOBUFS);
	ck_assert_int_eq(hip_build_set_len(&w), -ENOBUFS);
	/* a second start on a used buffer */
	wbuf_init(&w, small, sizeof(small));
	ck_assert_int_eq(hip_build_start(&w, HIP_I1, 0, &hit_a, &hit_b), 0);
	ck_assert_int_eq(hip_build_start(&w, HIP_I1, 0, &hit_a, &hit_b), -EINVAL);
}
END_TEST

/* 5.1: Header Length covers whole 8-byte units, at most 255 of them */
START_TEST(set_len_checks_its_argument)
{
	uint8_t b[HIP_MAX_PACKET_LEN + 8] = {0};

	ck_assert_int_eq(hip_build_set_len_to(b, 44), -EINVAL);
	ck_assert_int_eq(hip_build_set_len_to(b, 32), -EINVAL);
	ck_assert_int_eq(hip_build_set_len_to(b, HIP_MAX_PACKET_LEN + 8), -EMSGSIZE);
	ck_assert_int_eq(hip_build_set_len_to(b, HIP_MAX_PACKET_LEN), 0);
	ck_assert_uint_eq(b[1], 255);
	ck_assert_int_eq(hip_build_set_len_to(b, 40), 0);
	ck_assert_uint_eq(b[1], 4);
}
END_TEST

/* begin/end: contents written in place get their Length and zero padding */
START_TEST(param_begin_end_fills_length_and_padding)
{
	struct wbuf w;
	size_t off;

	start(&w, HIP_NOTIFY);
	memset(pkt + 40, 0xee, 64);
	ck_assert_int_eq(hip_build_param_begin(&w, HIP_PARAM_NOTIFICATION, &off), 0);
	ck_assert_uint_eq(off, 40);
	wbuf_u16(&w, 0);
	wbuf_u16(&w, HIP_NTF_INVALID_SYNTAX);
	wbuf_u8(&w, 0x42);
	ck_assert_int_eq(hip_build_param_end(&w, off), 0);
	ck_assert_uint_eq(w.len, 56);
	ck_assert_uint_eq(pkt[42], 0);
	ck_assert_uint_eq(pkt[43], 5);
	for (size_t i = 49; i < 56; i++)
		ck_assert_uint_eq(pkt[i], 0);
	ck_assert_int_eq(hip_build_param_end(&w, w.len - 2), -EINVAL);
	ck_assert_int_eq(hip_build_param_end(&w, w.len + 1), -EINVAL);
}
END_TEST

/* ======== checksum (RFC 7401 section 5.1.1) ======== */

struct capture {
	const uint8_t *pkt;
	size_t len;
	const uint8_t *src;
	const uint8_t *dst;
};

static const struct capture captures[] = {
    {cutehip_i1, sizeof(cutehip_i1), cutehip_i1_src, cutehip_i1_dst},
    {cutehip_r1, sizeof(cutehip_r1), cutehip_r1_src, cutehip_r1_dst},
    {cutehip_i2, sizeof(cutehip_i2), cutehip_i2_src, cutehip_i2_dst},
    {cutehip_r2, sizeof(cutehip_r2), cutehip_r2_src, cutehip_r2_dst},
};

/* 5.1.1: IPv4 pseudo-header; checksums written by another implementation */
START_TEST(checksums_of_captured_packets_verify)
{
	const struct capture *c = &captures[_i];
	struct sockaddr_in s = sin4(c->src), d = sin4(c->dst);
	uint16_t field = (uint16_t)(c->pkt[4] << 8 | c->pkt[5]);

	ck_assert_int_eq(
	    hip_checksum_verify(c->pkt, c->len, (struct sockaddr *)&s, (struct sockaddr *)&d), 0);
	ck_assert_uint_eq(
	    hip_checksum(c->pkt, c->len, (struct sockaddr *)&s, (struct sockaddr *)&d), field);
}
END_TEST

/* 5.1.1: the checksum covers the addresses and every byte of the packet */
START_TEST(corrupted_packet_fails_checksum)
{
	const struct capture *c = &captures[_i];
	struct sockaddr_in s = sin4(c->src), d = sin4(c->dst), other = d;
	uint8_t b[HIP_MAX_PACKET_LEN];

	memcpy(b, c->pkt, c->len);
	b[c->len - 9] ^= 0x01;
	ck_assert_int_eq(
	    hip_checksum_verify(b, c->len, (struct sockaddr *)&s, (struct sockaddr *)&d),
	    -HIPW_ECHECKSUM);
	other.sin_addr.s_addr ^= htonl(1);
	ck_assert_int_eq(
	    hip_checksum_verify(c->pkt, c->len, (struct sockaddr *)&s, (struct sockaddr *)&other),
	    -HIPW_ECHECKSUM);
	/* rebuilding the checksum repairs it */
	hip_build_checksum(b, c->len, (struct sockaddr *)&s, (struct sockaddr *)&d);
	ck_assert_int_eq(
	    hip_checksum_verify(b, c->len, (struct sockaddr *)&s, (struct sockaddr *)&d), 0);
}
END_TEST

/* A straightforward reference: pseudo-header and packet in one array, summed. */
static uint16_t ref_checksum6(const uint8_t *p, size_t len, const struct in6_addr *s,
			      const struct in6_addr *d)
{
	static uint8_t all[40 + HIP_MAX_PACKET_LEN + 1];
	uint32_t sum = 0;

	memset(all, 0, sizeof(all));
	memcpy(all, s, 16);
	memcpy(all + 16, d, 16);
	all[32 + 2] = (uint8_t)(len >> 8);
	all[32 + 3] = (uint8_t)len;
	all[39] = 139;
	memcpy(all + 40, p, len);
	all[40 + 4] = all[40 + 5] = 0;
	for (size_t i = 0; i < 40 + len; i += 2)
		sum += (uint32_t)(all[i] << 8 | all[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* 5.1.1: IPv6 pseudo-header (RFC 2460 8.1) with next header 139 */
START_TEST(ipv6_checksum_matches_reference_and_verifies)
{
	struct sockaddr_in6 s = sin6("2001:db8::1"), d = sin6("2001:db8:ffff::2:3");
	struct wbuf w;
	uint8_t v[13];

	fill(v, sizeof(v), 200);
	start(&w, HIP_UPDATE);
	ck_assert_int_eq(hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, v, sizeof(v)), 0);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	hip_build_checksum(pkt, w.len, (struct sockaddr *)&s, (struct sockaddr *)&d);
	ck_assert_uint_eq((uint16_t)(pkt[4] << 8 | pkt[5]),
			  ref_checksum6(pkt, w.len, &s.sin6_addr, &d.sin6_addr));
	ck_assert_int_eq(
	    hip_checksum_verify(pkt, w.len, (struct sockaddr *)&s, (struct sockaddr *)&d), 0);
	pkt[50] ^= 0x80;
	ck_assert_int_eq(
	    hip_checksum_verify(pkt, w.len, (struct sockaddr *)&s, (struct sockaddr *)&d),
	    -HIPW_ECHECKSUM);
}
END_TEST

/* IPv4-mapped IPv6 addresses (dual-stack sockets) give the IPv4 checksum */
START_TEST(v4mapped_addresses_use_the_ipv4_pseudo_header)
{
	struct sockaddr_in6 s = sin6("::ffff:192.168.64.16"), d = sin6("::ffff:192.168.64.15");

	ck_assert_int_eq(hip_checksum_verify(cutehip_i1, sizeof(cutehip_i1), (struct sockaddr *)&s,
					     (struct sockaddr *)&d),
			 0);
}
END_TEST

/* RFC 5770 5.1: over UDP the HIP checksum MUST be zero */
START_TEST(udp_framing_writes_and_expects_a_zero_checksum)
{
	struct wbuf w;

	start(&w, HIP_I1);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	pkt[4] = 0x12;
	hip_build_checksum(pkt, w.len, NULL, NULL);
	ck_assert_uint_eq(pkt[4], 0);
	ck_assert_uint_eq(pkt[5], 0);
	ck_assert_int_eq(hip_checksum_verify(pkt, w.len, NULL, NULL), 0);
	ck_assert_int_eq(hip_checksum_verify(cutehip_i1, sizeof(cutehip_i1), NULL, NULL),
			 -HIPW_ECHECKSUM);
}
END_TEST

START_TEST(mixed_address_families_fail_checksum)
{
	struct sockaddr_in s = sin4(cutehip_i1_src);
	struct sockaddr_in6 d = sin6("2001:db8::1");

	ck_assert_int_eq(hip_checksum_verify(cutehip_i1, sizeof(cutehip_i1), (struct sockaddr *)&s,
					     (struct sockaddr *)&d),
			 -HIPW_ECHECKSUM);
	ck_assert_int_eq(
	    hip_checksum_verify(cutehip_i1, 3, (struct sockaddr *)&s, (struct sockaddr *)&s),
	    -HIPW_ECHECKSUM);
}
END_TEST

/* ======== captured packets through the parser ======== */

/* A real I1: DH_GROUP_LIST only (RFC 7401 5.3.1) */
START_TEST(captured_i1_parses_and_decodes)
{
	struct hip_p_list8 l;

	ck_assert_int_eq(hip_msg_parse(cutehip_i1, sizeof(cutehip_i1), &msg), 0);
	ck_assert_int_eq(hip_p_list8_decode(hip_msg_find(&msg, HIP_PARAM_DH_GROUP_LIST), &l), 0);
	ck_assert_uint_eq(l.n, 6);
	ck_assert_uint_eq(l.ids[0], HIP_DH_NIST_P256);
	ck_assert_uint_eq(l.ids[5], HIP_DH_SECP160R1);
}
END_TEST

/* A real R2: ESP_INFO, HIP_MAC_2, HIP_SIGNATURE_2 (it should be HIP_SIGNATURE,
 * a protocol matter the codec does not judge) */
START_TEST(captured_r2_parses_and_decodes)
{
	struct hip_p_esp_info ei;
	struct hip_p_signature sig;
	const uint8_t *mac;
	size_t mac_len;

	ck_assert_int_eq(hip_msg_parse(cutehip_r2, sizeof(cutehip_r2), &msg), 0);
	ck_assert_uint_eq(msg.type, HIP_R2);
	ck_assert_uint_eq(msg.nparams, 3);
	ck_assert_int_eq(hip_p_esp_info_decode(hip_msg_find(&msg, HIP_PARAM_ESP_INFO), &ei), 0);
	ck_assert_uint_eq(ei.keymat_index, 128);
	ck_assert_uint_eq(ei.old_spi, 0);
	ck_assert_int_eq(hip_p_mac_decode(hip_msg_find(&msg, HIP_PARAM_HIP_MAC_2), &mac, &mac_len),
			 0);
	ck_assert_uint_eq(mac_len, 32);
	ck_assert_int_eq(
	    hip_p_signature_decode(hip_msg_find(&msg, HIP_PARAM_HIP_SIGNATURE_2), &sig), 0);
	ck_assert_uint_eq(sig.algorithm, HIP_HI_RSA);
	ck_assert_uint_eq(sig.sig_len, 256);
}
END_TEST

/* 5.2.1: the captured R1 and I2 put ESP_TRANSFORM (4095) before HOST_ID (705) */
START_TEST(captured_r1_and_i2_are_out_of_order)
{
	ck_assert_int_eq(hip_msg_parse(cutehip_r1, sizeof(cutehip_r1), &msg), -HIPW_EORDER);
	ck_assert_uint_eq(msg.bad_type, HIP_PARAM_HOST_ID);
	ck_assert_int_eq(hip_msg_parse(cutehip_i2, sizeof(cutehip_i2), &msg), -HIPW_EORDER);
	ck_assert_uint_eq(msg.bad_type, HIP_PARAM_HOST_ID);
}
END_TEST

/* 5.2.7: the captured DIFFIE_HELLMAN says 8 bytes of public value but carries 64;
 * its HOST_ID (5.2.9) is consistent */
START_TEST(captured_dh_length_defect_is_rejected_and_host_id_decodes)
{
	/* offsets in the I2: header 40, ESP_INFO 16, SOLUTION 72, DH 72, HIP_CIPHER 8,
	 * ESP_TRANSFORM 8 */
	struct hip_param dh = view(HIP_PARAM_DIFFIE_HELLMAN, &cutehip_i2[128 + 4], 67);
	struct hip_param hid = view(HIP_PARAM_HOST_ID, &cutehip_i2[216 + 4], 167);
	struct hip_p_dh d;
	struct hip_p_host_id h;

	ck_assert_uint_eq(cutehip_i2[128] << 8 | cutehip_i2[129], HIP_PARAM_DIFFIE_HELLMAN);
	ck_assert_uint_eq(cutehip_i2[216] << 8 | cutehip_i2[217], HIP_PARAM_HOST_ID);
	ck_assert_int_eq(hip_p_dh_decode(&dh, &d), -HIPW_EPARAM);
	ck_assert_int_eq(hip_p_host_id_decode(&hid, &h), 0);
	ck_assert_uint_eq(h.algorithm, HIP_HI_RSA);
	ck_assert_uint_eq(h.hi_len, 132);
	ck_assert_uint_eq(h.di_type, 2);
	ck_assert_uint_eq(h.di_len, 29);
}
END_TEST

/* ======== whole packets: build, then parse ======== */

/* RFC 7401 5.3.2: an R1 with every parameter in type order */
START_TEST(built_r1_parses_with_every_parameter)
{
	struct wbuf w;
	uint8_t pub[65], hi[68], sig[64];
	struct hip_p_r1_counter r1c = {.generation = 7};
	struct hip_p_puzzle puz = {.k = 8, .lifetime = 37, .opaque = 1, .i_len = 32};
	struct hip_p_list8 groups = {.ids = {HIP_DH_NIST_P256, HIP_DH_MODP_3072}, .n = 2};
	struct hip_p_dh dh = {.group = HIP_DH_NIST_P256, .pub = pub, .pub_len = sizeof(pub)};
	struct hip_p_list16 ciphers = {.ids = {HIP_CIPHER_AES128_CBC}, .n = 1};
	struct hip_p_host_id hid = {.algorithm = HIP_HI_ECDSA, .hi = hi, .hi_len = sizeof(hi)};
	struct hip_p_list8 suites = {.ids = {0x20, 0x10}, .n = 2};
	struct hip_p_list16 tfl = {.ids = {HIP_PARAM_ESP_TRANSFORM}, .n = 1};
	struct hip_p_list16 esp = {.ids = {HIP_ESP_AES128_CBC_SHA256, HIP_ESP_NULL_SHA256}, .n = 2};
	struct hip_p_signature s2 = {.algorithm = HIP_HI_ECDSA, .sig = sig, .sig_len = sizeof(sig)};
	struct sockaddr_in6 src = sin6("2001:db8::1"), dst = sin6("2001:db8::2");
	struct hip_p_puzzle puz_out;
	struct hip_p_host_id hid_out;
	struct hip_p_list16 esp_out;
	struct hip_p_signature sig_out;
	const uint8_t *echo;
	size_t echo_len;

	fill(pub, sizeof(pub), 1);
	fill(hi, sizeof(hi), 2);
	fill(sig, sizeof(sig), 3);
	fill(puz.i, 32, 4);
	wbuf_init(&w, pkt, sizeof(pkt));
	ck_assert_int_eq(hip_build_start(&w, HIP_R1, 0, &hit_b, &hit_a), 0);
	ck_assert_int_eq(hip_p_r1_counter_encode(&w, &r1c), 0);
	ck_assert_int_eq(hip_p_puzzle_encode(&w, &puz), 0);
	ck_assert_int_eq(hip_p_list8_encode(&w, HIP_PARAM_DH_GROUP_LIST, &groups), 0);
	ck_assert_int_eq(hip_p_dh_encode(&w, &dh), 0);
	ck_assert_int_eq(hip_p_list16_encode(&w, HIP_PARAM_HIP_CIPHER, &ciphers), 0);
	ck_assert_int_eq(hip_p_host_id_encode(&w, &hid), 0);
	ck_assert_int_eq(hip_p_list8_encode(&w, HIP_PARAM_HIT_SUITE_LIST, &suites), 0);
	ck_assert_int_eq(
	    hip_p_echo_encode(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, (const uint8_t *)"abc", 3), 0);
	ck_assert_int_eq(hip_p_list16_encode(&w, HIP_PARAM_TRANSPORT_FORMAT_LIST, &tfl), 0);
	ck_assert_int_eq(hip_p_esp_transform_encode(&w, &esp), 0);
	size_t sig_off = w.len;
	ck_assert_int_eq(hip_p_signature_encode(&w, HIP_PARAM_HIP_SIGNATURE_2, &s2), 0);
	ck_assert_int_eq(
	    hip_p_echo_encode(&w, HIP_PARAM_ECHO_REQUEST_UNSIGNED, (const uint8_t *)"xy", 2), 0);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	hip_build_checksum(pkt, w.len, (struct sockaddr *)&src, (struct sockaddr *)&dst);

	ck_assert_int_eq(hip_msg_parse(pkt, w.len, &msg), 0);
	ck_assert_int_eq(
	    hip_checksum_verify(pkt, w.len, (struct sockaddr *)&src, (struct sockaddr *)&dst), 0);
	ck_assert_uint_eq(msg.type, HIP_R1);
	ck_assert_uint_eq(msg.nparams, 12);
	ck_assert_int_eq(memcmp(&msg.hit_s, &hit_b, 16), 0);
	for (size_t i = 1; i < msg.nparams; i++)
		ck_assert_uint_gt(msg.params[i].type, msg.params[i - 1].type);
	ck_assert_uint_eq(hip_msg_find(&msg, HIP_PARAM_HIP_SIGNATURE_2)->off, sig_off);
	ck_assert_int_eq(hip_p_puzzle_decode(hip_msg_find(&msg, HIP_PARAM_PUZZLE), &puz_out), 0);
	ck_assert_int_eq(memcmp(puz_out.i, puz.i, 32), 0);
	ck_assert_int_eq(hip_p_host_id_decode(hip_msg_find(&msg, HIP_PARAM_HOST_ID), &hid_out), 0);
	ck_assert_int_eq(memcmp(hid_out.hi, hi, sizeof(hi)), 0);
	ck_assert_int_eq(
	    hip_p_esp_transform_decode(hip_msg_find(&msg, HIP_PARAM_ESP_TRANSFORM), &esp_out), 0);
	ck_assert_uint_eq(esp_out.ids[1], HIP_ESP_NULL_SHA256);
	ck_assert_int_eq(
	    hip_p_signature_decode(hip_msg_find(&msg, HIP_PARAM_HIP_SIGNATURE_2), &sig_out), 0);
	ck_assert_int_eq(memcmp(sig_out.sig, sig, sizeof(sig)), 0);
	ck_assert_int_eq(hip_p_echo_decode(hip_msg_find(&msg, HIP_PARAM_ECHO_REQUEST_UNSIGNED),
					   &echo, &echo_len),
			 0);
	ck_assert_uint_eq(echo_len, 2);

	/* 5.2.15: the signed part is the packet up to HIP_SIGNATURE_2 */
	ck_assert_int_eq(hip_build_set_len_to(pkt, sig_off), 0);
	ck_assert_int_eq(hip_msg_parse(pkt, sig_off, &msg), 0);
	ck_assert_ptr_null(hip_msg_find(&msg, HIP_PARAM_HIP_SIGNATURE_2));
	ck_assert_uint_eq(msg.nparams, 10);
}
END_TEST

/* RFC 7401 5.3.3: an I2 with SOLUTION, ENCRYPTED HOST_ID and HIP_MAC, over UDP */
START_TEST(built_i2_parses)
{
	struct wbuf w;
	uint8_t enc[80], mac[32], sig[71], pub[97];
	struct hip_p_esp_info ei = {.keymat_index = 0, .new_spi = 0x1000};
	struct hip_p_solution sol = {.k = 8, .ij_len = 48};
	struct hip_p_dh dh = {.group = HIP_DH_NIST_P384, .pub = pub, .pub_len = sizeof(pub)};
	struct hip_p_list16 cipher = {.ids = {HIP_CIPHER_AES256_CBC}, .n = 1};
	struct hip_p_encrypted e = {.data = enc, .len = sizeof(enc)};
	struct hip_p_list16 esp = {.ids = {HIP_ESP_AES128_CBC_SHA256}, .n = 1};
	struct hip_p_signature s = {.algorithm = HIP_HI_ECDSA, .sig = sig, .sig_len = sizeof(sig)};
	struct hip_p_solution sol_out;
	struct hip_p_encrypted e_out;

	fill(enc, sizeof(enc), 1);
	fill(mac, sizeof(mac), 2);
	fill(sig, sizeof(sig), 3);
	fill(pub, sizeof(pub), 4);
	fill(sol.i, 48, 5);
	fill(sol.j, 48, 6);
	start(&w, HIP_I2);
	ck_assert_int_eq(hip_p_esp_info_encode(&w, &ei), 0);
	ck_assert_int_eq(hip_p_solution_encode(&w, &sol), 0);
	ck_assert_int_eq(hip_p_dh_encode(&w, &dh), 0);
	ck_assert_int_eq(hip_p_list16_encode(&w, HIP_PARAM_HIP_CIPHER, &cipher), 0);
	ck_assert_int_eq(hip_p_encrypted_encode(&w, &e), 0);
	ck_assert_int_eq(hip_p_esp_transform_encode(&w, &esp), 0);
	ck_assert_int_eq(hip_p_mac_encode(&w, HIP_PARAM_HIP_MAC, mac, sizeof(mac)), 0);
	ck_assert_int_eq(hip_p_signature_encode(&w, HIP_PARAM_HIP_SIGNATURE, &s), 0);
	ck_assert_int_eq(hip_build_set_len(&w), 0);
	hip_build_checksum(pkt, w.len, NULL, NULL);
	ck_assert_int_eq(hip_checksum_verify(pkt, w.len, NULL, NULL), 0);
	ck_assert_int_eq(hip_msg_parse(pkt, w.len, &msg), 0);
	ck_assert_uint_eq(msg.nparams, 8);
	ck_assert_uint_eq(msg.len, w.len);
	ck_assert_int_eq(hip_p_solution_decode(hip_msg_find(&msg, HIP_PARAM_SOLUTION), &sol_out),
			 0);
	ck_assert_int_eq(memcmp(sol_out.j, sol.j, 48), 0);
	ck_assert_int_eq(hip_p_encrypted_decode(hip_msg_find(&msg, HIP_PARAM_ENCRYPTED), &e_out),
			 0);
	ck_assert_int_eq(memcmp(e_out.data, enc, sizeof(enc)), 0);
}
END_TEST

/* 5.1: the largest packet the Header Length can describe */
START_TEST(largest_packet_round_trips)
{
	static uint8_t v[HIP_MAX_PACKET_LEN];
	struct wbuf w;

	start(&w, HIP_UPDATE);
	/* 2048 - 40 - 4 = 2004 bytes of contents fill the packet exactly */
	ck_assert_int_eq(hip_build_param(&w, HIP_PARAM_ECHO_REQUEST_SIGNED, v, 2004), 0);
	ck_assert_uint_eq(w.len, HIP_MAX_PACKET_LEN);
	ck_assert_int_eq(finish_and_parse(&w), 0);
	ck_assert_uint_eq(pkt[1], 255);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *hdr = tcase_create("header");
	TCase *tlv = tcase_create("tlv");
	TCase *par = tcase_create("params");
	TCase *bld = tcase_create("build");
	TCase *sum = tcase_create("checksum");
	TCase *pkts = tcase_create("packets");
	const int ncap = (int)(sizeof(captures) / sizeof(captures[0]));

	tcase_add_test(hdr, buffer_shorter_than_header_is_truncated);
	tcase_add_test(hdr, header_fields_of_a_real_i1_are_read);
	tcase_add_test(hdr, wrong_version_is_rejected);
	tcase_add_test(hdr, fixed_bit_clear_is_rejected);
	tcase_add_test(hdr, reserved_header_bits_are_ignored);
	tcase_add_test(hdr, header_length_mismatch_is_rejected);
	tcase_add_test(hdr, trailing_data_after_other_next_header_is_ignored);
	tcase_add_test(hdr, packet_without_parameters_parses);

	tcase_add_test(tlv, tlv_total_length_follows_the_formula);
	tcase_add_test(tlv, nonzero_padding_is_accepted);
	tcase_add_test(tlv, tlv_length_past_end_is_rejected);
	tcase_add_test(tlv, padding_past_end_is_rejected);
	tcase_add_test(tlv, tlv_header_cut_is_truncated);
	tcase_add_test(tlv, zero_length_known_parameter_is_rejected);
	tcase_add_test(tlv, out_of_order_parameters_are_rejected);
	tcase_add_test(tlv, repeated_types_must_be_consecutive);
	tcase_add_test(tlv, unknown_critical_parameter_is_rejected_with_its_type);
	tcase_add_test(tlv, unknown_noncritical_parameter_is_skipped);
	tcase_add_test(tlv, too_many_parameters_are_rejected);
	tcase_add_test(tlv, all_protocol_parameter_types_are_known);
	tcase_add_test(tlv, every_error_has_a_name);

	tcase_add_test(par, r1_counter_round_trips);
	tcase_add_test(par, puzzle_round_trips_for_each_rhash_length);
	tcase_add_test(par, solution_round_trips);
	tcase_add_test(par, list8_round_trips_for_both_types);
	tcase_add_test(par, list16_round_trips_for_both_types);
	tcase_add_test(par, esp_transform_round_trips);
	tcase_add_test(par, diffie_hellman_round_trips);
	tcase_add_test(par, host_id_round_trips_with_and_without_domain_identifier);
	tcase_add_test(par, encrypted_round_trips);
	tcase_add_test(par, signature_round_trips_for_both_types);
	tcase_add_test(par, mac_round_trips_for_both_types);
	tcase_add_test(par, notification_round_trips_with_and_without_data);
	tcase_add_test(par, esp_info_round_trips);
	tcase_add_test(par, seq_and_ack_round_trip);
	tcase_add_test(par, nat_traversal_mode_round_trips);
	tcase_add_test(par, nat_traversal_mode_keeps_the_first_six);
	tcase_add_test(par, transaction_pacing_round_trips_and_checks_length);
	tcase_add_test(par, transport_locators_round_trip_with_the_rfc_layout);
	tcase_add_test(par, locator_set_skips_unknown_types_and_rejects_bad_lengths);
	tcase_add_test(par, cert_round_trips);
	tcase_add_test(par, reg_info_round_trips_and_may_list_no_type);
	tcase_add_test(par, reg_request_response_and_failed_round_trip);
	tcase_add_test(par, reg_lists_without_types_or_too_long_are_rejected);
	tcase_add_test(par, relay_addresses_round_trip_with_the_rfc_layout);
	tcase_add_test(par, route_lists_round_trip_with_the_rfc_layout);
	tcase_add_test(par, empty_route_via_is_valid);
	tcase_add_test(par, malformed_route_lists_are_rejected);
	tcase_add_test(par, overlay_id_and_ttl_round_trip);
	tcase_add_test(par, malformed_overlay_parameters_are_rejected);
	tcase_add_test(par, overlay_types_have_the_rfc_criticality_and_coverage);
	tcase_add_test(par, overlay_notification_data_holds_the_header_and_one_parameter);
	tcase_add_test(par, malformed_overlay_notification_data_is_rejected);
	tcase_add_test(par, relay_address_with_wrong_length_is_rejected);
	tcase_add_test(par, relay_addresses_map_ipv4_into_ipv6_and_back);
	tcase_add_test(par, relay_hmac_round_trips_like_hip_mac);
	tcase_add_test(par, registration_lifetimes_follow_the_exponent_encoding);
	tcase_add_test(par, registration_r2_parameters_are_in_type_order);
	tcase_add_test(par, echo_round_trips_for_all_four_types);
	tcase_add_test(par, decoders_reject_empty_contents);
	tcase_add_test(par, decoders_reject_empty_variable_part);
	tcase_add_test(par, fixed_size_parameters_with_wrong_length_are_rejected);
	tcase_add_test(par, puzzle_and_solution_with_odd_rhash_length_are_rejected);
	tcase_add_test(par, lists_too_long_or_odd_are_rejected);
	tcase_add_test(par, diffie_hellman_with_inconsistent_length_is_rejected);
	tcase_add_test(par, host_id_with_inconsistent_lengths_is_rejected);
	tcase_add_test(par, oversized_fields_are_rejected);
	tcase_add_test(par, encoders_reject_unencodable_values);

	tcase_add_test(bld, builder_reports_overflow);
	tcase_add_test(bld, set_len_checks_its_argument);
	tcase_add_test(bld, param_begin_end_fills_length_and_padding);

	tcase_add_loop_test(sum, checksums_of_captured_packets_verify, 0, ncap);
	tcase_add_loop_test(sum, corrupted_packet_fails_checksum, 0, ncap);
	tcase_add_test(sum, ipv6_checksum_matches_reference_and_verifies);
	tcase_add_test(sum, v4mapped_addresses_use_the_ipv4_pseudo_header);
	tcase_add_test(sum, udp_framing_writes_and_expects_a_zero_checksum);
	tcase_add_test(sum, mixed_address_families_fail_checksum);

	tcase_add_test(pkts, captured_i1_parses_and_decodes);
	tcase_add_test(pkts, captured_r2_parses_and_decodes);
	tcase_add_test(pkts, captured_r1_and_i2_are_out_of_order);
	tcase_add_test(pkts, captured_dh_length_defect_is_rejected_and_host_id_decodes);
	tcase_add_test(pkts, built_r1_parses_with_every_parameter);
	tcase_add_test(pkts, built_i2_parses);
	tcase_add_test(pkts, largest_packet_round_trips);

	suite_add_tcase(s, hdr);
	suite_add_tcase(s, tlv);
	suite_add_tcase(s, par);
	suite_add_tcase(s, bld);
	suite_add_tcase(s, sum);
	suite_add_tcase(s, pkts);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
