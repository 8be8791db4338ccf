#!/usr/bin/env bash
# The bad-input catalogue (bad_inputs.txt beside this script): every case runs through the
# CLI with a time limit and is classed as
#   clear     the documented exit code, the message fragment, nothing complete-looking
#             left under its output directory, nothing created outside it;
#   silent    silently wrong: exit 0 where an error was due, or an exit-0 case whose
#             result is wrong (fragment or check after it missing);
#   hang      still running at the time limit (killed);
#   outside   something was created outside the case's output directory (or at /);
#   unclear   an error, but with another exit code, without the fragment, or with a
#             complete-looking result left behind.
# It prints one line per case and the counts by class and category; it passes when every
# case is clear. Run it against another binary to compare (e.g. an older build):
#   bash test_bad_input_catalogue.sh <chondrosim> <source-dir> <work-dir>
set -u
BIN=$(readlink -f "$1") SRC=$(readlink -f "$2") WORK=$3
export CHONDROSIM_MODELS=${CHONDROSIM_MODELS:-$SRC/models}
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
LIMIT=${CATALOGUE_TIME_LIMIT:-20}   # seconds per case
TABLE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bad_inputs.txt

case $WORK in /|"") echo "refusing work dir '$WORK'"; exit 2 ;; esac
rm -rf -- "$WORK" && mkdir -p -- "$WORK" || exit 2
WORK=$(readlink -f "$WORK")
W=$WORK/fixtures
mkdir -p "$W" "$WORK/out" "$WORK/cwd"

# ---------------------------------------------------------------- fixtures
CFG=$SRC/configs/default.ini
C="--set grid.nx=10 --set grid.nz=4 --set run.end_time=5 --set output.times=5"
M2D="--set grid.geometry=cartesian2d --set lesion.shape=mask"
mkdir -p "$W/dir.ini"
mkfifo "$W/fifo.ini"
printf '\001\002\377[[[\nnot an ini file\n' >"$W/garbage.ini"
printf '[run]\nend_time = 5\n[grid]\nnxx = 20\n' >"$W/typo.ini"
printf 'nx = 20\n[grid]\nnz = 4\n' >"$W/nosection.ini"
printf '[grid]\nnx = 10\nnz = 4\nnx = 12\n' >"$W/dupkey.ini"
printf '[grid]\nnx = 10\n[run]\nend_time = 5\n[grid]\nnz = 4\n' >"$W/dupsec.ini"
{ printf '[run]\n; '; head -c 400 /dev/zero | tr '\0' x; printf '\nend_time = 5\n'; } >"$W/long.ini"
cp "$CFG" "$W/a,b.ini"
mkdir -p "$W/fifomodels" && mkfifo "$W/fifomodels/base.ini"
# a study and a sweep of two tiny runs, and broken copies
cp "$CFG" "$W/base.ini"
cat >"$W/study.ini" <<'EOF'
[study]
name = st
base = base.ini
rank_by = fill_6wk
[matrix]
therapy.dose = 1e7 5e7
[set]
grid.nx = 10
grid.nz = 4
run.end_time = 5
output.times = 0 5
EOF
sed 's/^\[set\]/[matrix]/' "$W/study.ini" >"$W/study_dupsec.ini"
sed 's/^grid.nz = 4/grid.nz = 4\ngrid.nz = 5/' "$W/study.ini" >"$W/study_dupkey.ini"
sed 's/^name = st/name = ../' "$W/study.ini" >"$W/study_dotdot.ini"
sed 's/^base = base.ini/base = dir.ini/' "$W/study.ini" >"$W/study_basedir.ini"
sed 's/^grid.nz = 4/grid.nz = 4\nrun.name = x/' "$W/study.ini" >"$W/study_runname.ini"
sed 's/^rank_by = fill_6wk/rank_by = fill_99mo/' "$W/study.ini" >"$W/study_rankby.ini"
cat >"$W/sweep.ini" <<'EOF'
[sweep]
name = sw
base = base.ini
[values]
therapy.dose = 1e7 5e7
[set]
grid.nx = 10
grid.nz = 4
run.end_time = 5
output.times = 0 5
EOF
sed 's/^\[set\]/[values]/' "$W/sweep.ini" >"$W/sweep_dupsec.ini"
sed 's/^name = sw/name = ../' "$W/sweep.ini" >"$W/sweep_dotdot.ini"
sed 's/^therapy.dose = .*/therapy.dose = range(5e7, 1e7, 3)/' "$W/sweep.ini" >"$W/sweep_range.ini"
sed 's/^grid.nz = 4/grid.nz = 5/' "$W/sweep.ini" >"$W/sweep_edited.ini"
# masks of 10 x 4 cells (cartesian2d: nx wide, nz high); the lesion is 4 columns of the
# top 2 rows = 8 cells, open to the surface
/usr/bin/python3 - "$W" <<'EOF'
import sys
w = sys.argv[1]
cells = [[1 if (k < 2 and 3 <= i < 7) else 0 for i in range(10)] for k in range(4)]
flat = [v for row in cells for v in row]
def p5(name, maxval, values, extra=b"", header=None):
    data = (header or b"P5\n10 4\n%d\n" % maxval)
    if maxval > 255:
        data += b"".join(bytes([v >> 8, v & 255]) for v in values)
    else:
        data += bytes(values)
    open(f"{w}/{name}", "wb").write(data + extra)
p5("m16.pgm", 65535, [v * 65535 if v else 0 for v in flat])
p5("m8.pgm", 1, flat)
p5("m8_extra.pgm", 1, flat, extra=b"\x01\x01")
p5("m8_short.pgm", 1, flat[:30])
p5("m_zero.pgm", 1, [0] * 40)
p5("m_max0.pgm", 1, flat, header=b"P5\n10 4\n0\n")
p5("m_size.pgm", 1, flat + [0] * 10, header=b"P5\n10 5\n1\n")
p5("m_above.pgm", 1, [2 if v else 0 for v in flat])
text = "P2\n# a text PGM\n10 4\n1\n" + "\n".join(" ".join(str(v) for v in row) for row in cells) + "\n"
open(f"{w}/m2.pgm", "w").write(text)
open(f"{w}/m2_extra.pgm", "w").write(text + "1 0 1\n")
EOF
# a real checkpoint (scheduled at day 2.5 of 5), and a truncated copy
(cd "$WORK/cwd" && "$BIN" run "$CFG" $C --set checkpoint.every=2.5 --out "$W/ck" --quiet >/dev/null 2>&1)
[ -f "$W/ck/default/default.chk.h5" ] || echo "warning: the checkpoint fixture was not written"
head -c 3000 "$W/ck/default/default.chk.h5" >"$W/truncated.chk.h5" 2>/dev/null
export BIN W CFG C M2D

# no_complete_result DIR: no <run>.h5 (other than .partial.h5) and no summary.csv under DIR
no_complete_result() {
  [ ! -e "$1" ] && return 0
  [ -z "$(find "$1" \( -name '*.h5' ! -name '*.partial.h5' ! -name '*.chk.h5' \) -o -name summary.csv 2>/dev/null)" ]
}

# ---------------------------------------------------------------- the cases
declare -A count bycat
total=0 nclear=0
root_before=$(ls -A /)
n=0
while IFS='|' read -r cat name want frag cmd post; do
  case $cat in ''|'#'*) continue ;; esac
  n=$((n + 1))
  OUT=$WORK/out/case$n/out
  mkdir -p "$WORK/out/case$n"
  ERR=$WORK/out/case$n.stderr N=$n
  export OUT ERR N
  (cd "$WORK/cwd" && timeout -k 5 "$LIMIT" bash -c "$cmd" >"$WORK/out/case$n.stdout" 2>"$WORK/out/case$n.stderr")
  rc=$?
  class=clear why=""
  outside=$(cd "$WORK/out/case$n" && ls -A | grep -vx out)
  root_now=$(ls -A /)
  cwd_now=$(ls -A "$WORK/cwd")
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    class=hang why="killed after ${LIMIT} s"
  elif [ -n "$outside" ] || [ "$root_now" != "$root_before" ] || [ -n "$cwd_now" ]; then
    class=outside why="created: $(echo $outside) $(comm -13 <(echo "$root_before") <(echo "$root_now") | sed 's|^|/|' | tr '\n' ' ')$cwd_now"
  elif [ "$want" -ne 0 ] && [ "$rc" -eq 0 ]; then
    class=silent why="exit 0"
  elif [ "$want" -eq 0 ] && { [ "$rc" -ne 0 ] || ! grep -qF -- "$frag" "$WORK/out/case$n.stderr" "$WORK/out/case$n.stdout" ||
                              { [ -n "$post" ] && ! (cd "$WORK/cwd" && bash -c "$post"); }; }; then
    class=silent why="exit $rc; fragment or check after it missing"
  elif [ "$rc" -ne "$want" ]; then
    class=unclear why="exit $rc"
  elif ! grep -qF -- "$frag" "$WORK/out/case$n.stderr" "$WORK/out/case$n.stdout"; then
    class=unclear why="message without '$frag'"
  elif [ "$want" -ne 0 ] && ! no_complete_result "$OUT"; then
    class=unclear why="a complete-looking result was left"
  elif [ -n "$post" ] && ! (cd "$WORK/cwd" && bash -c "$post"); then
    class=unclear why="the check after it failed: $post"
  fi
  total=$((total + 1))
  count[$class]=$(( ${count[$class]:-0} + 1 ))
  bycat[$cat.$class]=$(( ${bycat[$cat.$class]:-0} + 1 ))
  [ $class = clear ] && nclear=$((nclear + 1))
  msg=$(grep -v '^[0-9T:-]*Z \(info\|warning\):' "$WORK/out/case$n.stderr" | tail -n 1 | cut -c1-150)
  printf '%-7s %-10s %-32s exit %3s (want %s)  %s\n' "$class" "$cat" "$name" "$rc" "$want" "$why"
  [ $class != clear ] && [ -n "$msg" ] && echo "                 | $msg"
  # clean up what a wrong case left where later cases look
  [ "$root_now" != "$root_before" ] && for d in $(comm -13 <(echo "$root_before") <(echo "$root_now")); do
    case $d in chs_catalogue_probe|default|st|sw) rm -rf -- "/$d" ;; esac
  done
  rm -rf -- "$WORK/cwd" && mkdir -p "$WORK/cwd"
  root_before=$(ls -A /)
done <"$TABLE"

echo
echo "catalogue: $total cases: clear ${count[clear]:-0}, silent ${count[silent]:-0}, hang ${count[hang]:-0}, outside ${count[outside]:-0}, unclear ${count[unclear]:-0}"
for cat in $(grep -v '^#' "$TABLE" | cut -d'|' -f1 | sort -u); do
  printf '  %-10s' "$cat"
  for class in clear silent hang outside unclear; do printf ' %s %-3s' "$class" "${bycat[$cat.$class]:-0}"; done
  echo
done
[ "$nclear" -eq "$total" ] && [ "$total" -ge 60 ]
