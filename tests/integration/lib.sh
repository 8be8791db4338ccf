# Shared by the test scripts (source it): counted checks with one line each.
#   expect 'shell condition' "what it shows"    -> "  ok    ..." or "  FAIL  ..."
# The script ends with `exit $((nfail > 0))` or its own summary of $nfail.
nfail=0
pass() { echo "  ok    $*"; }
fail() { echo "  FAIL  $*"; nfail=$((nfail + 1)); }
expect() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }
