/* The native tissue state (docs/model.md): the steady state of an intact column
 * of cartilage in a quiet joint, on the run's own depth grid. Chondrocytes sit at c0,
 * the matrix at its local equilibrium, the solutes at their steady profiles; the
 * carrying capacity c_max(z) is derived so that c0 is an equilibrium. Because it is the
 * discrete steady state of the same operators, intact tissue holds still to round-off. */
#ifndef CHS_NATIVE_H
#define CHS_NATIVE_H

#include "core/status.h"
#include "model/reactions.h"
#include "model/transport.h"

typedef struct {
  int nz;
  double *state; /* nz * CHS_NF: the native cell state at each depth */
  double *c_max; /* nz: chondrocyte carrying capacity */
  int iterations;
  double residual; /* max |d/dt| of the native state after the solve (per field scale) */
} chs_native;

/* tp's fluid cytokine value is replaced by i_quiet for this solve. */
chs_status chs_native_solve(const chs_rates *r, const chs_transport *tp, int nz, double dz,
                            double i_quiet, chs_native *out);
void chs_native_free(chs_native *n);

#endif
