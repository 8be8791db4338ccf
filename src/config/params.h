/* The one typed parameter table. Every configuration key of chondrosim is one line here:
 * its type, default, allowed range, unit and a one-line doc. The list expands into the
 * chs_config struct (config.h), the parser's lookup table, the validation, the output of
 * `chondrosim info --params` and the /config record of every result file.
 *
 * Model parameters have no default in C (CHS_FROM_MODEL): their values live in
 * models/base.ini (and models/sources, models/patients), each with its evidence tag.
 *
 *   R(section, name, default, min, max, unit, doc)   real
 *   I(section, name, default, min, max, doc)         integer
 *   S(section, name, default, doc)                   string
 *   E(section, name, default, "a|b|c", doc)          one of a fixed set of words
 *   L(section, name, default, min, max, unit, doc)   whitespace-separated list of reals
 *   B(section, name, default, doc)                   true/false
 */
#ifndef CHS_PARAMS_H
#define CHS_PARAMS_H

#define CHS_FROM_MODEL NULL
#define CHS_BIG 1e30

#define CHS_PARAMS(R, I, S, E, L, B)                                                                 \
  /* ---- run ---- */                                                                              \
  S(run, name, "", "run name: results go to <output.dir>/<name>/ (default: the config file's stem)") \
  R(run, end_time, "730", 1e-6, 36500, "day", "simulated time span")                               \
  /* ---- grid ---- */                                                                             \
  E(grid, geometry, "axisymmetric", "axisymmetric|cartesian2d|cartesian3d",                        \
    "domain: (r,z) about the lesion axis, an (x,z) cross-section, or (x,y,z)")                     \
  R(grid, width, "10", 1e-3, 1e4, "mm", "domain radius (axisymmetric) or x extent")                \
  R(grid, length, "10", 1e-3, 1e4, "mm", "y extent (cartesian3d only)")                            \
  I(grid, nx, "80", 1, 100000, "cells along r or x")                                               \
  I(grid, ny, "1", 1, 100000, "cells along y (cartesian3d only; 1 otherwise)")                     \
  I(grid, nz, "24", 2, 100000, "cells through the cartilage depth")                                \
  /* ---- lesion ---- */                                                                           \
  E(lesion, shape, "cylinder", "none|cylinder|ellipsoid|mask|diffuse",                            \
    "focal defect (cylinder, ellipsoidal cap, mask file), diffuse OA, or none (intact)")           \
  R(lesion, radius, "5", 0, 1e4, "mm", "lesion radius (ellipsoid: lateral semi-axis)")             \
  R(lesion, depth, "2.4", 0, 1e4, "mm", "lesion depth from the surface (>= thickness: full)")      \
  R(lesion, center_x, "0", -1e4, 1e4, "mm", "lesion centre x (cartesian; 0 = domain centre)")      \
  R(lesion, center_y, "0", -1e4, 1e4, "mm", "lesion centre y (cartesian3d; 0 = domain centre)")    \
  S(lesion, mask_file, "", "shape = mask: PGM image (2D: nx wide, nz high) or text volume (3D)")   \
  R(lesion, oa_cells, "0.6", 0, 1, "fraction of c0", "diffuse OA: chondrocyte density")            \
  R(lesion, oa_proteoglycan, "0.5", 0, 1, "fraction of native", "diffuse OA: proteoglycan")        \
  R(lesion, oa_collagen, "0.7", 0, 1, "fraction of native", "diffuse OA: collagen II")             \
  /* ---- patient ---- */                                                                          \
  S(patient, profile, "", "patient file models/patients/<profile>.ini (empty: keys below only)")   \
  R(patient, age, "25", 0, 120, "year", "host age (sets A; donor age for autologous cells)")       \
  R(patient, inflammation, "1", 0, 100, "relative",                                                \
    "joint cytokine level I_base (quiet 0.2, OA 1, post-traumatic 3, rheumatoid 5)")                \
  E(patient, kl_grade, "none", "none|kl2|kl3|kl4",                                                \
    "Kellgren-Lawrence grade of diffuse OA: loads models/oa/<grade>.ini (lesion.oa_* values)")    \
  R(patient, mech, "1", 1, 100, "1", "mechanical risk multiplier on catabolism (meniscal tear, malalignment: 3)") \
  R(patient, bml, "0", 0, 1, "1", "bone-marrow lesion severity B_0 (0 none, 1 present)")          \
  R(patient, V_sf, "13.6", 0.5, 200, "mL", "synovial fluid volume (quiet 6.7, OA 13.6, effusive 24)") \
  R(patient, quiet_inflammation, "0.2", 0, 100, "relative",                                        \
    "cytokine level of a quiet joint: the native tissue state is its steady state")                \
  /* ---- therapy ---- */                                                                          \
  E(therapy, route, "intralesional", "none|intralesional|intra_articular|subchondral",             \
    "delivery route of the cell doses")                                                            \
  R(therapy, dose, "1e7", 0, 1e12, "cells", "cells per dose")                                      \
  S(therapy, components, "msc",                                                                  \
    "product composition: words msc, chondrocyte, chondron (one component of each at most)")      \
  L(therapy, fractions, "1", 0, 1, "1", "fraction of the dose per component (sums to 1)")         \
  S(therapy, donors, "",                                                                           \
    "per component autologous|allogeneic (empty: the source's default for MSCs, autologous else)") \
  S(therapy, routes, "",                                                                           \
    "per component route (empty: therapy.route for all); e.g. IA MSCs + intralesional chondrocytes") \
  R(therapy, donor_age, "25", 0, 120, "year",                                                      \
    "age of the donor of allogeneic cells (their age factor A_D; A = 1 up to 30 years)")           \
  S(therapy, source, "bone_marrow", "cell source: models/sources/<source>.ini (bone_marrow, adipose, ...)") \
  R(therapy, day, "0", 0, 36500, "day", "day of the first dose")                                   \
  I(therapy, doses, "1", 1, 1000, "number of doses (a maintenance course when > 1)")               \
  R(therapy, repeat_every, "365", 1e-3, 36500, "day", "interval between doses of a course")        \
  S(therapy, carrier, "none", "intralesional carrier: models/carriers/<carrier>.ini (filler diffusivities)") \
  L(prp, days, "", 0, 36500, "day", "days of platelet-rich plasma injections (growth-factor bolus)") \
  L(ha, days, "", 0, 36500, "day", "days of hyaluronic-acid injections (near-null comparator)")  \
  L(exosomes, days, "", 0, 36500, "day", "days of MSC-exosome injections")                         \
  R(exosomes, bolus, "2.5e7", 0, 1e12, "MSC-equivalents", "exosome dose per injection")            \
  /* ---- output ---- */                                                                           \
  S(output, dir, "results", "directory that holds one folder per run")                             \
  L(output, times, "0 14 42 56 90 180 365 540 730", 0, 36500, "day",                               \
    "simulated days at which all fields are written (within [0, run.end_time])")                   \
  I(output, compression, "1", 0, 9, "deflate level of field datasets (0 = off)")                   \
  /* ---- checkpoint ---- */                                                                       \
  R(checkpoint, every, "0", 0, 36500, "day",                                                       \
    "simulated days between checkpoints <run>.chk.h5 (0 = off); the integrator restarts at each, " \
    "so a restart from one equals the uninterrupted run")                                          \
  /* ---- solver ---- */                                                                           \
  R(solver, rtol, "1e-5", 1e-14, 0.1, "1", "relative tolerance of CVODE")                         \
  R(solver, atol, "1e-8", 1e-20, 1, "1",                                                           \
    "absolute tolerance as a fraction of each field's fixed scale (field registry: cells 1e4/mm^3, " \
    "growth factor 1 ng/mL, cytokine 1, oxygen 0.1 mM, matrix 1, latent 10)")                     \
  I(solver, max_order, "5", 1, 5, "maximum BDF order")                                             \
  R(solver, linear_tolerance, "1e-4", 1e-8, 1, "1", "GMRES tolerance as a fraction of the Newton tolerance") \
  I(solver, max_steps, "200000", 10, 100000000, "step limit per run")                              \
  R(solver, max_step, "30", 1e-9, 1e4, "day", "largest time step")                                 \
  E(solver, preconditioner, "multigrid", "none|block|column|mg|multigrid",                          \
    "block = pointwise reaction blocks + diffusion diagonal; column = block-tridiagonal in depth; " \
    "mg = column, then a per-field multigrid (hypre PFMG) correction for the lateral diffusion; "  \
    "multigrid = one V-cycle on all fields at once, depth-column smoother, lateral coarsening")    \
  I(solver, krylov_dim, "15", 1, 500, "GMRES Krylov subspace size (restarted up to 3 times; each vector costs one state of memory)")                                \
  E(solver, jacobian_product, "difference", "difference|analytic",                                 \
    "Jacobian-vector products inside GMRES: difference = CVODE's difference quotients of the "      \
    "right-hand side (faster: one fused right-hand side per product); analytic = the exact "        \
    "derivative of the model (about the same steps, 1.3-1.4x the cost per product)")              \
  /* ---- tissue (models/base.ini) ---- */                                                         \
  R(tissue, thickness, CHS_FROM_MODEL, 0.01, 100, "mm", "cartilage thickness H")                   \
  R(tissue, c0, CHS_FROM_MODEL, 1, 1e6, "cells/mm^3", "native chondrocyte density")                \
  /* ---- msc ---- */                                                                              \
  R(msc, D, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "MSC motility D_s")                                \
  R(msc, r_s, CHS_FROM_MODEL, 0, 100, "1/day",                                                    \
    "in-vivo MSC proliferation, every source (must stay below msc.delta: no net expansion)")        \
  R(msc, rho_max, CHS_FROM_MODEL, 1, 1e8, "cells/mm^3", "total cell packing limit")                \
  R(msc, k_d, CHS_FROM_MODEL, 0, 100, "1/day", "chondrogenic differentiation rate")                \
  R(msc, s_star, CHS_FROM_MODEL, 0, 1e8, "cells/mm^3", "differentiation density threshold")        \
  R(msc, eps_frac, CHS_FROM_MODEL, 1e-6, 10, "1", "threshold width as a fraction of s_star")       \
  R(msc, delta, CHS_FROM_MODEL, 0, 100, "1/day", "MSC death/clearance rate in tissue")             \
  /* ---- chondrocyte ---- */                                                                      \
  R(chondrocyte, D, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "chondrocyte motility D_c")                \
  R(chondrocyte, r_c, CHS_FROM_MODEL, 0, 100, "1/day", "repair-phase chondrocyte proliferation")  \
  R(chondrocyte, r_c_mature, CHS_FROM_MODEL, 0, 100, "1/day", "mature chondrocyte proliferation")   \
  R(chondrocyte, k_act, CHS_FROM_MODEL, 0, 100, "1/day",                                          \
    "activation of mature cells into the repair phase per unit of lost matrix")                    \
  R(chondrocyte, k_mat, CHS_FROM_MODEL, 0, 100, "1/day", "maturation of repair-phase cells")        \
  R(chondrocyte, delta, CHS_FROM_MODEL, 0, 100, "1/day", "chondrocyte death rate")                 \
  R(chondrocyte, a_c, CHS_FROM_MODEL, 0, 1e3, "1", "cytokine-driven death factor")                 \
  R(chondrocyte, beta_c, CHS_FROM_MODEL, 0, 1e3, "1", "growth-factor boost of proliferation")      \
  /* ---- growth factor ---- */                                                                    \
  R(growth_factor, D_tissue, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "diffusivity in native tissue")   \
  R(growth_factor, D_free, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "diffusivity in the lesion filler") \
  R(growth_factor, sigma_c, CHS_FROM_MODEL, 0, 1e3, "(ng/mL/day)/(cells/mm^3)",                    \
    "chondrocyte secretion")                                                                       \
  R(growth_factor, sigma_rel, CHS_FROM_MODEL, 0, 1e3, "1", "secretion of repair-phase cells, multiplier") \
  R(growth_factor, lambda, CHS_FROM_MODEL, 0, 1e6, "1/day", "decay rate lambda_g")                 \
  R(growth_factor, u_g, CHS_FROM_MODEL, 0, 1e3, "(ng/mL/day)/(cells/mm^3)", "cell uptake Vmax")    \
  R(growth_factor, K_m, CHS_FROM_MODEL, 1e-12, 1e6, "ng/mL", "uptake half-saturation")             \
  R(growth_factor, K_g, CHS_FROM_MODEL, 1e-12, 1e6, "ng/mL", "half-effect concentration (h)")      \
  /* ---- latent growth factor (matrix-bound store) ---- */                                      \
  R(latent, native, CHS_FROM_MODEL, 0, 1e6, "ng/mL-eq", "latent store in native matrix")          \
  R(latent, k_a0, CHS_FROM_MODEL, 0, 1e3, "1/day", "basal activation of the latent store")         \
  R(latent, k_inj, CHS_FROM_MODEL, 0, 1e3, "1/day", "activation at the injured lesion wall")       \
  R(latent, tau_inj, CHS_FROM_MODEL, 1e-6, 1e5, "day", "decay time of the injury activation")      \
  R(latent, w_inj, CHS_FROM_MODEL, 0, 1e3, "mm", "width of the injured rim around the lesion wall") \
  R(latent, k_aS, CHS_FROM_MODEL, 0, 1e3, "1/day", "activation by MSC contact")                     \
  R(latent, K_aS, CHS_FROM_MODEL, 1e-12, 1e8, "cells/mm^3", "MSC density of half contact activation") \
  /* ---- trophic effect of MSCs on nearby chondrocytes ---- */                                   \
  R(trophic, K_T, CHS_FROM_MODEL, 1e-12, 1e8, "cells/mm^3", "MSC density of half trophic effect")   \
  R(trophic, beta_T, CHS_FROM_MODEL, 0, 1e3, "1", "trophic boost of repair-phase cells")           \
  /* ---- cytokine ---- */                                                                         \
  R(cytokine, D_tissue, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "diffusivity in native tissue")        \
  R(cytokine, D_free, CHS_FROM_MODEL, 0, 1e4, "mm^2/day", "diffusivity in the lesion filler")      \
  R(cytokine, lambda, CHS_FROM_MODEL, 0, 1e6, "1/day", "decay rate lambda_i")                      \
  R(cytokine, psi, CHS_FROM_MODEL, 0, 1e6, "1/day", "MSC anti-inflammatory clearance psi_i")       \
  R(cytokine, K_psi, CHS_FROM_MODEL, 1e-12, 1e8, "cells/mm^3", "MSC density of half effect")       \
  R(cytokine, K_I, CHS_FROM_MODEL, 1e-12, 1e6, "relative", "cytokine level that halves synthesis") \
  /* ---- oxygen ---- */                                                                           \
  R(oxygen, D, CHS_FROM_MODEL, 0, 1e5, "mm^2/day", "oxygen diffusivity D_n")                       \
  R(oxygen, q_n, CHS_FROM_MODEL, 0, 1e3, "mM/day/(cells/mm^3)", "consumption per cell")            \
  R(oxygen, K_qn, CHS_FROM_MODEL, 1e-12, 1e3, "mM", "consumption half-saturation")                 \
  R(oxygen, K_n, CHS_FROM_MODEL, 1e-12, 1e3, "mM", "half-effect on cell activity (f_n)")           \
  R(oxygen, n_sf, CHS_FROM_MODEL, 0, 1e3, "mM", "synovial fluid oxygen")                           \
  R(oxygen, n_bone, CHS_FROM_MODEL, 0, 1e3, "mM", "subchondral bone oxygen")                       \
  R(oxygen, h_bone, CHS_FROM_MODEL, 0, 1e9, "mm/day", "bone-side transfer coefficient")            \
  /* ---- matrix ---- */                                                                           \
  R(matrix, P_p, CHS_FROM_MODEL, 0, 100, "1/day", "proteoglycan synthesis, repair-phase cells")   \
  R(matrix, P_k, CHS_FROM_MODEL, 0, 100, "1/day", "collagen II synthesis, repair-phase cells")    \
  R(matrix, P_p_mature, CHS_FROM_MODEL, 0, 100, "1/day", "proteoglycan synthesis, mature cells")  \
  R(matrix, P_k_mature, CHS_FROM_MODEL, 0, 100, "1/day", "collagen II synthesis, mature cells")   \
  R(matrix, K_room, CHS_FROM_MODEL, 1e-9, 10, "1",                                                \
    "missing collagen of half-maximal maintenance synthesis by mature cells")                      \
  R(matrix, P_f, CHS_FROM_MODEL, 0, 100, "1/day", "fibrous collagen I synthesis")                  \
  R(matrix, beta_p, CHS_FROM_MODEL, 0, 1e3, "1", "growth-factor boost of proteoglycan")            \
  R(matrix, beta_k, CHS_FROM_MODEL, 0, 1e3, "1", "growth-factor boost of collagen II")             \
  R(matrix, k_p0, CHS_FROM_MODEL, 0, 100, "1/day", "basal proteoglycan turnover")                  \
  R(matrix, k_k0, CHS_FROM_MODEL, 0, 100, "1/day", "basal collagen II turnover")                   \
  R(matrix, k_f0, CHS_FROM_MODEL, 0, 100, "1/day", "fibrous collagen turnover")                    \
  R(matrix, k_pi, CHS_FROM_MODEL, 0, 100, "1/day", "cytokine-driven proteoglycan loss")            \
  R(matrix, k_ki, CHS_FROM_MODEL, 0, 100, "1/day", "cytokine-driven collagen II loss")             \
  R(matrix, K_deg, CHS_FROM_MODEL, 1e-12, 1e6, "relative", "cytokine level of half-maximal loss")  \
  R(matrix, n_deg, CHS_FROM_MODEL, 1, 20, "1", "steepness (Hill exponent) of the catabolic switch") \
  /* ---- joint (synovial fluid and surface exchange) ---- */                                      \
  R(joint, h_m, CHS_FROM_MODEL, 0, 1e9, "mm/day", "surface mass-transfer coefficient")             \
  R(joint, partition, CHS_FROM_MODEL, 0, 1e3, "1", "tissue/fluid partition coefficient kappa")     \
  R(joint, A_joint, CHS_FROM_MODEL, 1e-3, 1e7, "mm^2", "cartilage surface of the joint")           \
  R(joint, w_les, CHS_FROM_MODEL, 0, 1e6, "1", "homing weight of the lesion for attaching cells")  \
  R(joint, k_clr, CHS_FROM_MODEL, 0, 1e4, "1/day", "clearance of free MSCs from the fluid")        \
  R(joint, k_att, CHS_FROM_MODEL, 0, 1e4, "1/day", "attachment of free MSCs to cartilage")         \
  R(joint, att_inflammation, CHS_FROM_MODEL, 0, 1e3, "1/relative",                                 \
    "rise of attachment with fluid cytokine: k_att (1 + a I)")                                     \
  R(joint, G_clearance, CHS_FROM_MODEL, 0, 1e7, "mL/day",                                         \
    "protein clearance from the synovial fluid (rate = G_clearance / patient.V_sf)")               \
  R(joint, gamma_F, CHS_FROM_MODEL, 0, 100, "1", "damage feedback: inflammatory drive per lost collagen") \
  R(joint, sigma_sf, CHS_FROM_MODEL, 0, 1e3, "ng/mL/day per cell", "fluid growth factor per free MSC") \
  R(joint, k_I, CHS_FROM_MODEL, 0, 1e4, "1/day", "relaxation of the fluid cytokine to I_base")     \
  R(joint, psi_sf, CHS_FROM_MODEL, 0, 1e4, "1/day", "anti-inflammatory effect of free MSCs/exosomes") \
  R(joint, K_N, CHS_FROM_MODEL, 1e-12, 1e15, "cells", "free MSCs of half anti-inflammatory effect") \
  /* ---- synovium: resident MSC pools and the slow synovitis state ---- */                        \
  R(synovium, k_eng, CHS_FROM_MODEL, 0, 1e3, "1/day", "engraftment of loosely attached MSCs")      \
  R(synovium, delta_Y1, CHS_FROM_MODEL, 0, 1e3, "1/day", "loss of loosely attached MSCs")          \
  R(synovium, delta_Y2, CHS_FROM_MODEL, 0, 1e3, "1/day", "loss of engrafted MSCs")                 \
  R(synovium, rho_OA, CHS_FROM_MODEL, 0, 1, "1", "loss multiplier in an inflamed joint (holds cells longer)") \
  R(synovium, I_OA, CHS_FROM_MODEL, 0, 100, "relative", "inflammation from which rho_OA applies")  \
  R(synovium, K_Phi, CHS_FROM_MODEL, 1e-12, 1e15, "MSC-equivalents", "exposure of half saturation") \
  R(synovium, kappa_m, CHS_FROM_MODEL, 0, 1e3, "1/day", "synovitis resolution by saturated exposure") \
  R(synovium, tau_m, CHS_FROM_MODEL, 1e-3, 1e5, "day", "relaxation time of the synovitis state")    \
  /* ---- immune clearance of allogeneic cells ---- */                                            \
  R(immune, t_lag, CHS_FROM_MODEL, 0, 1e4, "day", "delay of the adaptive response after the first allogeneic dose") \
  R(immune, tau_Z, CHS_FROM_MODEL, 1e-3, 1e4, "day", "rise time of the response")                 \
  R(immune, tau_mem, CHS_FROM_MODEL, 1e-3, 1e5, "day", "memory of the response without antigen")   \
  R(immune, delta_imm, CHS_FROM_MODEL, 0, 1e3, "1/day", "clearance of allogeneic MSCs at full response") \
  R(immune, chi_d, CHS_FROM_MODEL, 0, 1e3, "1", "extra clearance of differentiated allogeneic cells") \
  R(immune, sigma_rej, CHS_FROM_MODEL, 0, 1e3, "relative/day", "inflammatory flare on re-exposure") \
  R(immune, K_present, CHS_FROM_MODEL, 1e-12, 1e15, "cells", "allogeneic cells of half antigen drive") \
  /* ---- cell-free products ---- */                                                              \
  R(products, k_E, CHS_FROM_MODEL, 0, 1e4, "1/day", "exosome clearance")                           \
  R(products, prp_dose, CHS_FROM_MODEL, 0, 1e12, "MSC-equivalents", "one PRP injection's exposure") \
  R(products, k_P, CHS_FROM_MODEL, 0, 1e4, "1/day", "release/clearance of PRP")                    \
  R(products, sigma_P, CHS_FROM_MODEL, 0, 1e6, "ng/mL per 1e6 MSC-eq", "growth factor released by PRP") \
  R(products, k_H, CHS_FROM_MODEL, 0, 1e4, "1/day", "clearance of hyaluronic acid")                \
  R(products, w_H, CHS_FROM_MODEL, 0, 100, "relative", "pain-proxy offset of one HA injection")    \
  /* ---- bone compartment ---- */                                                                \
  R(bone, delta_b, CHS_FROM_MODEL, 0, 1e3, "1/day", "loss of progenitors placed in bone")          \
  R(bone, K_B, CHS_FROM_MODEL, 1e-12, 1e15, "cells", "bone progenitors of half effect on the BML")  \
  R(bone, psi_B, CHS_FROM_MODEL, 0, 1e3, "1/day", "BML resolution by bone progenitors")            \
  R(bone, tau_B, CHS_FROM_MODEL, 1e-3, 1e5, "day", "relaxation time of the BML state")              \
  R(bone, kappa_B, CHS_FROM_MODEL, 0, 1e3, "relative", "cytokine level of bone under a full BML")  \
  R(bone, P_b, CHS_FROM_MODEL, 0, 1e6, "mm/day", "cytokine permeability of the calcified layer")    \
  /* ---- pain proxy ---- */                                                                      \
  R(pain, w_I, CHS_FROM_MODEL, 0, 100, "1", "weight of the fluid cytokine")                        \
  R(pain, w_B, CHS_FROM_MODEL, 0, 100, "1", "weight of the BML state")                             \
  /* ---- age ---- */                                                                              \
  R(age, A_80, CHS_FROM_MODEL, 0, 10, "1", "age factor at 80 years (1 up to 30 years)")            \
  /* ---- delivery ---- */                                                                         \
  R(delivery, eta_il, CHS_FROM_MODEL, 0, 1, "1", "fraction of an intralesional dose retained")     \
  R(delivery, eta_b, CHS_FROM_MODEL, 0, 1, "1", "fraction of a subchondral dose surviving the injection") \
  R(delivery, bone_lesion_share, CHS_FROM_MODEL, 0, 1, "1",                                       \
    "share of the surviving subchondral cells that enter the lesion (the rest stay in bone)")      \
  R(delivery, tau_b, CHS_FROM_MODEL, 1e-6, 1e4, "day", "duration of the subchondral inflow")       \
  /* ---- carrier (models/carriers/<therapy.carrier>.ini) ---- */                                  \
  R(carrier, cell_D, CHS_FROM_MODEL, 0, 1e3, "1", "cell motility in the filler, multiplier")       \
  R(carrier, solute_D, CHS_FROM_MODEL, 0, 1e3, "1", "solute diffusivity in the filler, multiplier") \
  /* ---- source (models/sources/<therapy.source>.ini) ---- */                                     \
  R(source, r_s, CHS_FROM_MODEL, 0, 100, "1", "culture expansion multiplier (not applied in vivo)") \
  R(source, k_d, CHS_FROM_MODEL, 0, 100, "1", "chondrogenic differentiation multiplier")           \
  R(source, paracrine, CHS_FROM_MODEL, 0, 100, "1", "paracrine secretion multiplier (pi)")         \
  R(source, psi_i, CHS_FROM_MODEL, 0, 100, "1", "anti-inflammatory multiplier")                    \
  R(source, P_f, CHS_FROM_MODEL, 0, 100, "1", "fibrous tendency multiplier")                       \
  B(source, allogeneic, CHS_FROM_MODEL, "default donor: allogeneic (age factor of therapy.donor_age) instead of the patient's own") \
  B(source, allogeneic_only, CHS_FROM_MODEL, "only allogeneic use exists (e.g. umbilical cord)")   \
  /* ---- mechanisms (switches for tests and ablations) ---- */                                    \
  B(mechanisms, immune, "true", "adaptive clearance of allogeneic cells")                          \
  B(mechanisms, synovitis, "true", "slow synovitis state driven by MSC/PRP exposure")              \
  B(mechanisms, damage_feedback, "true", "lost collagen raises the joint's inflammatory drive")    \
  B(mechanisms, catabolic_switch, "true", "steep (Hill) cytokine switch of matrix loss; off: Michaelis-Menten") \
  B(mechanisms, latent_gf, "true", "latent matrix-bound growth factor and its activation")         \
  B(mechanisms, trophic, "true", "MSC trophic boost of nearby repair-phase chondrocytes")          \
  B(mechanisms, bone, "true", "bone compartment: progenitor pool, BML state, bone-side cytokine")  \
  B(mechanisms, fluid_exchange, "true", "solutes exchanged with a finite synovial fluid (off: fixed bath)") \
  B(mechanisms, chondrocyte_kinetics, "true", "chondrocyte proliferation, death, activation, maturation") \
  /* ---- initial solute profiles (tests of closed systems) ---- */                                \
  R(init, growth_factor, "-1", -1, 1e6, "ng/mL", "uniform initial growth factor in the tissue (-1: native profile)") \
  R(init, cytokine, "-1", -1, 1e6, "relative", "uniform initial cytokine in the tissue (-1: native profile)") \
  R(init, oxygen, "-1", -1, 1e6, "mM", "uniform initial oxygen in the tissue (-1: native profile)") \
  R(init, bml, "-1", -1, 1, "1", "initial bone-marrow-lesion state B(0) (-1: patient.bml, which stays the drive B relaxes to)")

#endif
