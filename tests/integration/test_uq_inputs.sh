#!/usr/bin/env bash
# Priors and virtual cohorts as data, and the external design of `chondrosim sweep`:
#   - the shipped models/priors.ini and cohorts are valid; `info --priors` lists every prior
#     with its base.ini value and finds a prior for every [G]-tagged key of base.ini;
#   - bad priors and cohorts are refused naming file, line and key: outside the allowed
#     range, unknown key, no probability mass (lo >= hi, a truncated normal far from its
#     bounds, all choice weights 0), a patient key in the priors, no evidence, a bad choice
#     value, an empty cohort;
#   - `sweep` with [sweep] design = rows.csv: [values] x design rows in the manifest, and a
#     bad design value names the CSV file, line and key.
# usage: bash test_uq_inputs.sh <chondrosim-binary> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
cd "$WORK" || exit 2
. "$HERE/lib.sh"
has() { grep -qF -- "$2" "$WORK/$1"; }

echo "== info --priors on the shipped models/"
"$BIN" info --priors --models "$SRC/models" >priors.out 2>priors.err
rc=$?
expect '[ $rc -eq 0 ]' "info --priors exits 0"
nprior=$(grep -c '^[a-z_]*\.[A-Za-z_0-9]* *\(uniform\|loguniform\|truncnormal\|choice\)' priors.out)
nkeys=$(grep -c '^[a-zA-Z_0-9]* *=' "$SRC/models/priors.ini")
expect '[ "$nprior" -eq "$nkeys" ] && [ "$nprior" -gt 40 ]' "it lists all $nkeys priors of models/priors.ini ($nprior listed)"
expect 'has priors.out "every [G]-tagged key of" && ! has priors.out "WARNING"' \
  "every [G]-tagged key of base.ini has a prior, and every base.ini value lies inside its prior"
expect 'grep -q "^msc.delta  *loguniform 0.05 0.16  *0.05 " priors.out' "msc.delta: loguniform 0.05 0.16 holds base.ini's 0.05"

# A models directory whose priors.ini / cohort we break one line at a time.
mkdir -p models && cp -r "$SRC/models/." models/
bad_prior() { # NAME 'section' 'line' : replaces priors.ini with one bad line
  printf '; test\n[%s]\n%s\n' "$2" "$3" >models/priors.ini
  "$BIN" info --priors --models models >"$1.out" 2>"$1.err"
  rc=$?
  echo "        $(head -1 "$1.err")"
}
bad_prior range msc 'delta = uniform 0.01 200 "[G] x"'
expect '[ $rc -eq 3 ] && has range.err "models/priors.ini:3 [msc] delta" && has range.err "leaves the allowed range [0, 100]"' \
  "a prior outside the parameter's allowed range: exit 3, file:line, key, range"
bad_prior unknown msc 'dleta = uniform 0.01 0.1 "[G] x"'
expect '[ $rc -eq 3 ] && has unknown.err "priors.ini:3" && has unknown.err "unknown key '"'"'msc.dleta'"'"' (did you mean '"'"'msc.delta'"'"'?)"' \
  "an unknown key: file:line and a did-you-mean"
bad_prior empty msc 'delta = uniform 0.1 0.1 "[G] x"'
expect '[ $rc -eq 3 ] && has empty.err "priors.ini:3 [msc] delta" && has empty.err "no probability mass"' "uniform with lo = hi: no mass"
bad_prior tail msc 'delta = truncnormal 0.08 0.001 1 2 "[G] x"'
expect '[ $rc -eq 3 ] && has tail.err "priors.ini:3 [msc] delta" && has tail.err "no probability mass"' \
  "truncnormal whose interval lies 900 SD from the mean: no mass"
bad_prior sd msc 'delta = truncnormal 0.08 0 0.01 1 "[G] x"'
expect '[ $rc -eq 3 ] && has sd.err "SD > 0"' "truncnormal with SD 0 is refused"
bad_prior logzero msc 'delta = loguniform 0 0.1 "[G] x"'
expect '[ $rc -eq 3 ] && has logzero.err "loguniform needs LO > 0"' "loguniform from 0 is refused"
bad_prior patient patient 'age = uniform 40 60 "[G] x"'
expect '[ $rc -eq 3 ] && has patient.err "priors.ini:3 [patient] age" && has patient.err "not a model parameter"' \
  "a patient key in the priors is refused (it belongs in a cohort)"
bad_prior noev msc 'delta = uniform 0.05 0.1'
expect '[ $rc -eq 3 ] && has noev.err "priors.ini:3" && has noev.err "evidence"' "a prior without its evidence tag is refused"
bad_prior dist msc 'delta = gamma 1 2 "[G] x"'
expect '[ $rc -eq 3 ] && has dist.err "unknown distribution '"'"'gamma'"'"'"' "an unknown distribution is refused"
printf '; nothing\n' >models/priors.ini
"$BIN" info --priors --models models >none.out 2>none.err; rc=$?
expect '[ $rc -eq 3 ] && has none.err "no priors"' "a priors file without priors is refused"
printf '[msc]\ndelta = uniform 0.05 0.1 "[G] x"\n' >models/priors.ini
"$BIN" info --priors --models models >some.out 2>some.err; rc=$?
expect '[ $rc -eq 0 ] && has some.out "[G]-tagged keys of models/base.ini without a prior" && has some.out "  joint.k_att = 0.3"' \
  "a partial priors file: the [G] keys without a prior are listed"
cp "$SRC/models/priors.ini" models/priors.ini

echo "== cohorts (checked by chondrosim uq --dry-run)"
cp "$SRC/configs/middle_aged_oa_focal.ini" base.ini
study() { # NAME COHORT-TEXT: a study using cohorts/NAME.ini; runs uq --dry-run
  printf '%b' "$2" >"models/cohorts/$1.ini"
  printf '[study]\nbase = base.ini\n[uq]\ndraws = 4\npriors = none\ncohort = %s\n[matrix]\ntherapy.dose = 1e7 5e7\n' "$1" >"$1.ini"
  "$BIN" uq "$1.ini" --models models --dry-run >"$1.out" 2>"$1.err"
  rc=$?
  echo "        $(grep -v "threads per rank" "$1.err" | head -1)"
}
study good '[cohort]\ndescription = "ok"\n[patient]\nage = uniform 45 70\n'
expect '[ $rc -eq 0 ] && has good.out "2 scenario(s) x 4 draw(s) = 8 run(s)" && has good.out "(1 input(s))"' "a valid cohort: the plan is printed"
study shipped "$(cat "$SRC/models/cohorts/knee_oa_trial.ini")\n"
expect '[ $rc -eq 0 ]' "the shipped knee_oa_trial cohort is valid"
# The shipped studies vary every prior plus a cohort: their designs must expand (a design
# wider than the sweep machinery allows was once refused only when the study was run).
for f in "$SRC"/configs/uq_*.ini; do
  "$BIN" uq "$f" --models "$SRC/models" --out shipped_out --dry-run >shipped_plan.out 2>shipped_plan.err; rc=$?
  expect '[ $rc -eq 0 ] && has shipped_plan.out "draw(s)"' "the shipped study $(basename "$f") expands (dry run)"
done
study emptyc '[cohort]\ndescription = "nobody"\n'
expect '[ $rc -eq 3 ] && has emptyc.err "cohorts/emptyc.ini" && has emptyc.err "empty cohort"' "an empty cohort: exit 3 naming the file"
study zero '[patient]\nage = choice 50:0 60:0\n'
expect '[ $rc -eq 3 ] && has zero.err "cohorts/zero.ini:2 [patient] age" && has zero.err "no probability mass"' "choice weights all 0: no mass"
study badchoice '[therapy]\nroute = choice intralesional:1 intra_artcular:1\n'
expect '[ $rc -eq 3 ] && has badchoice.err "cohorts/badchoice.ini:2" && has badchoice.err "did you mean '"'"'intra_articular'"'"'"' \
  "a choice value the key does not allow: file:line, did-you-mean"
study agerange '[patient]\nage = uniform 45 170\n'
expect '[ $rc -eq 3 ] && has agerange.err "cohorts/agerange.ini:2 [patient] age" && has agerange.err "allowed range [0, 120]"' \
  "a cohort range outside the key's allowed range"
study clash '[therapy]\ndose = uniform 1e7 2e7\n'
expect '[ $rc -eq 3 ] && has clash.err "therapy.dose is fixed by the study but drawn from the cohort"' "a cohort key that the study's [matrix] fixes is refused"
study enumnum '[grid]\ngeometry = uniform 0 1\n'
expect '[ $rc -eq 3 ] && has enumnum.err "is not a number; use choice"' "a continuous distribution for a word-valued key is refused"
printf '[study]\nbase = base.ini\n[uq]\ndraws = 4\ncohort = nosuch\n[matrix]\ntherapy.dose = 1e7\n' >nosuch.ini
"$BIN" uq nosuch.ini --models models --dry-run >nosuch.out 2>nosuch.err; rc=$?
expect '[ $rc -eq 3 ] && has nosuch.err "nosuch.ini:5 [uq] cohort = nosuch: cannot read"' "a missing cohort file: study file, line, key"
printf '[study]\nbase = base.ini\n[uq]\ndraws = 4\nvary = msc.delta msc.dleta\n[matrix]\ntherapy.dose = 1e7\n' >novary.ini
"$BIN" uq novary.ini --models models --dry-run >novary.out 2>novary.err; rc=$?
expect '[ $rc -eq 3 ] && has novary.err "novary.ini:5 [uq] vary: '"'"'msc.dleta'"'"' has no prior"' "[uq] vary naming a key without a prior"

echo "== sweep with an external design"
cat >design.csv <<'EOF'
msc.delta,patient.age,lesion.shape
0.05,50,cylinder
0.1,60.5,ellipsoid
0.07,"70",cylinder
EOF
printf '[sweep]\nname = ext\nbase = base.ini\ndesign = design.csv\n[values]\ntherapy.source = bone_marrow adipose\n' >ext.ini
"$BIN" sweep ext.ini --models models --dry-run >ext.out 2>ext.err; rc=$?
expect '[ $rc -eq 0 ]' "a sweep with [sweep] design = design.csv expands"
"$PY" - ext.out <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
want = [["row", "run", "therapy.source", "msc.delta", "patient.age", "lesion.shape", "fingerprint", "status"]]
d = [["0.05", "50", "cylinder"], ["0.1", "60.5", "ellipsoid"], ["0.07", "70", "cylinder"]]
for i, (s, r) in enumerate((s, r) for s in ("bone_marrow", "adipose") for r in d):
    want.append([str(i), "r%04d" % i, s] + r + ["", "pending"])
# the fingerprint column (16 hex digits of each row's effective configuration) is checked
# for its form and for differing between rows, not for its value
fp = [row[6] for row in rows[1:]]
for row in rows[1:]: row[6] = ""
ok = rows == want and all(len(f) == 16 and int(f, 16) >= 0 for f in fp) and len(set(fp)) == len(fp)
if not ok: print("        |", rows[:3])
sys.exit(0 if ok else 1)
EOF
expect '[ $? -eq 0 ]' "manifest: 2 sources x the 3 design rows in file order (the same rows in every grid point), values as written"
printf 'msc.delta,patient.age\n0.05,50\n0.1,130\n' >baddesign.csv
printf '[sweep]\nname = bad\nbase = base.ini\ndesign = baddesign.csv\n' >bad.ini
"$BIN" sweep bad.ini --models models --dry-run >bad.out 2>bad.err; rc=$?
expect '[ $rc -eq 3 ] && has bad.err "baddesign.csv:3 [design]: patient.age = 130 is out of range"' "a bad design value names the CSV file, line and key"
printf 'msc.delta,patient.agee\n0.05,50\n' >badcol.csv
printf '[sweep]\nname = bad\nbase = base.ini\ndesign = badcol.csv\n' >badcol.ini
"$BIN" sweep badcol.ini --models models --dry-run >badcol.out 2>badcol.err; rc=$?
expect '[ $rc -eq 3 ] && has badcol.err "badcol.csv:1 [design]: unknown key '"'"'patient.agee'"'"'"' "an unknown design column names the CSV header line"
printf 'msc.delta\n0.05,1\n' >ragged.csv
printf '[sweep]\nname = bad\nbase = base.ini\ndesign = ragged.csv\n' >ragged.ini
"$BIN" sweep ragged.ini --models models --dry-run >ragged.out 2>ragged.err; rc=$?
expect '[ $rc -eq 3 ] && has ragged.err "ragged.csv:2: 2 field(s), the header has 1"' "a ragged design row is refused"
printf '[sweep]\nname = bad\nbase = base.ini\ndesign = design.csv\nsamples = 3\n[lhs]\nmsc.r_s = 0.01 0.1\n' >both.ini
"$BIN" sweep both.ini --models models --dry-run >both.out 2>both.err; rc=$?
expect '[ $rc -eq 3 ] && has both.err "design and [lhs] exclude each other"' "design together with [lhs] is refused"

echo
[ $nfail -eq 0 ] && echo "test_uq_inputs: all checks passed" || echo "test_uq_inputs: $nfail check(s) FAILED"
exit $((nfail > 0))
