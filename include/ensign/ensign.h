/* libensign umbrella header. */
#ifndef ENSIGN_H
#define ENSIGN_H
#include "err.h"
#include "sgx.h"
#include "util.h"
#include "io.h"
#include "page.h"
#include "measure.h"
#include "sigstruct.h"
#include "signer.h"
#include "sgxs.h"
#define ENSIGN_VERSION "0.1.0"
#endif
