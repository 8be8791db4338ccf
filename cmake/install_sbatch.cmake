# Run by `cmake --install`: the installed run.sbatch calls this prefix's binary unless
# $CHONDROSIM names another one (the source copy calls `chondrosim` from PATH).
set(f "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/chondrosim/scripts/slurm/run.sbatch")
file(READ "${f}" t)
string(REPLACE "\${CHONDROSIM:-chondrosim}" "\${CHONDROSIM:-${CMAKE_INSTALL_PREFIX}/bin/chondrosim}" t "${t}")
file(WRITE "${f}" "${t}")
