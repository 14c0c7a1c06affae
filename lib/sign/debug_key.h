#ifndef ENSIGN_DEBUG_KEY_H
#define ENSIGN_DEBUG_KEY_H
extern const char ens_debug_key_pem[];
#endif
