#!/usr/bin/env bash
# Executes the notebooks headlessly with the rapaio Java kernel and fails if any cell fails.
#
#   notebooks/run_notebooks.sh                     run every notebook into target/notebooks/ (the test)
#   notebooks/run_notebooks.sh --in-place          run, then write the outputs back into notebooks/
#                                                  (refreshes the committed outputs)
#   notebooks/run_notebooks.sh [--in-place] 02-mnist.ipynb ...   only these notebooks
#
# On a fresh machine it installs what is missing: Debian's jupyter-nbconvert, python3-nbclient,
# jupyter-client and python3-nbformat (and dataset-fashion-mnist), with apt-get when run as root,
# otherwise it says what to install and stops. It then fetches the kernel jar with Maven, installs
# the kernel for this user (java -jar ... -i -auto), compiles the project and stages its classes
# and test-scope dependencies in target/lib, and executes each notebook with nbconvert.
#
# Environment:
#   CELL_TIMEOUT=600      seconds one cell may run
#   NOTEBOOK_TIMEOUT=900  seconds one notebook may run, kernel start included
#   OMP_NUM_THREADS=1     ND4J's OpenMP threads in the kernel (1 is much faster on a busy 2-core machine)
#   SKIP_BUILD=1          reuse target/classes, target/test-classes and target/lib as they are
#
# Exit status: 0 if every notebook ran to the end, 1 if any failed, 2 if a tool is missing.
set -euo pipefail

RJK_VERSION=3.0.1
CELL_TIMEOUT=${CELL_TIMEOUT:-600}
NOTEBOOK_TIMEOUT=${NOTEBOOK_TIMEOUT:-900}
START_ATTEMPTS=3
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in notebooks/tools

cd "$(dirname "$0")/.."
root_dir=$(pwd)

in_place=false
selected=()
for arg in "$@"; do
  case "$arg" in
    --in-place) in_place=true ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "run_notebooks: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) selected+=("notebooks/$(basename "$arg")") ;;
  esac
done
if [ ${#selected[@]} -eq 0 ]; then
  selected=(notebooks/[0-9][0-9]-*.ipynb)
fi
for nb in "${selected[@]}"; do
  [ -f "$nb" ] || { echo "run_notebooks: no such notebook: $nb" >&2; exit 2; }
done

log() { echo "[notebooks] $*"; }
t_start=$(date +%s)

# --- 1. Jupyter (Debian packages for the system Python) -------------------------------------
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
has_jupyter() { [ -n "$PY" ] && "$PY" -c 'import nbconvert, nbclient, jupyter_client, nbformat' 2>/dev/null; }
apt_install() {
  log "installing with apt-get: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ! has_jupyter; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt_install jupyter-nbconvert python3-nbclient jupyter-client python3-nbformat
    PY=/usr/bin/python3
  fi
  if ! has_jupyter; then
    echo "run_notebooks: Jupyter's nbconvert, nbclient, jupyter_client and nbformat are missing." >&2
    echo "  Debian/Ubuntu: sudo apt-get install --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client python3-nbformat" >&2
    echo "  elsewhere:     python3 -m pip install nbconvert nbclient jupyter_client nbformat" >&2
    exit 2
  fi
fi

# Fashion-MNIST comes from Debian's dataset-fashion-mnist (see datasets/README.md).
if [ ! -f datasets/fashion/train-images-idx3-ubyte ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt_install dataset-fashion-mnist
  else
    log "warning: Fashion-MNIST is not here; notebook 03 will try Zalando's mirror" \
        "(or: sudo apt-get install dataset-fashion-mnist)"
  fi
fi

# --- 2. The kernel --------------------------------------------------------------------------
# Maven's output goes to a log, shown only when it fails
mvn_q() {
  mkdir -p target
  mvn -q -B -Dstyle.color=never "$@" >target/notebooks-maven.log 2>&1 \
    || { cat target/notebooks-maven.log >&2; echo "run_notebooks: mvn $* failed" >&2; exit 2; }
}
kernel_jar="target/kernel/rapaio-jupyter-kernel-$RJK_VERSION.jar"
if [ ! -f "$kernel_jar" ]; then
  log "fetching io.github.padreati:rapaio-jupyter-kernel:$RJK_VERSION"
  mvn_q dependency:copy -Dartifact="io.github.padreati:rapaio-jupyter-kernel:$RJK_VERSION" \
      -DoutputDirectory=target/kernel
fi
# -auto installs without questions into ~/.local/share/jupyter/kernels/rapaio-jupyter-kernel
java -jar "$kernel_jar" -i -auto >/dev/null
"$PY" -c 'import sys; from jupyter_client.kernelspec import KernelSpecManager as M
sys.exit("rapaio-jupyter-kernel" not in M().find_kernel_specs())' \
  || { echo "run_notebooks: the rapaio kernel did not install" >&2; exit 2; }

# --- 3. Classes and dependencies for the notebooks' %jar / %classpath -------------------------
if [ "${SKIP_BUILD:-}" != 1 ]; then
  log "compiling and staging the test classpath in target/lib"
  rm -rf target/lib
  mvn_q test-compile dependency:copy-dependencies -DincludeScope=test -DoutputDirectory=target/lib
fi
log "setup took $(( $(date +%s) - t_start )) s"

# --- 4. Execute -----------------------------------------------------------------------------
mkdir -p target/notebooks
export PYTHONPATH="$root_dir/notebooks/tools${PYTHONPATH:+:$PYTHONPATH}"
failed=()
summary=()
for nb in "${selected[@]}"; do
  name=$(basename "$nb" .ipynb)
  out="target/notebooks/$name.ipynb"
  nblog="target/notebooks/$name.log"
  rm -f "$out" "$nblog"
  status=failed
  t0=$(date +%s)
  for attempt in $(seq 1 $START_ATTEMPTS); do
    log "running $nb (attempt $attempt)"
    set +e
    timeout "$NOTEBOOK_TIMEOUT" "$PY" -m nbconvert --to notebook --execute "$nb" \
        --output-dir target/notebooks \
        --ExecutePreprocessor.timeout="$CELL_TIMEOUT" \
        --ExecutePreprocessor.startup_timeout=60 \
        --ExecutePreprocessor.record_timing=False \
        --ExecutePreprocessor.kernel_manager_class=rapaio_startup.RapaioKernelManager \
        >"$nblog.attempt" 2>&1
    rc=$?
    set -e
    { echo "=== attempt $attempt: exit status $rc"; cat "$nblog.attempt"; } >>"$nblog"
    if [ $rc = 0 ]; then status=ok; break; fi
    # A kernel that never answered its first request is retried; a failing cell is not.
    if [ $rc != 124 ] && tail -n 20 "$nblog.attempt" | grep -q "Kernel didn't respond"; then
      log "the kernel did not answer at start-up; starting it again"
      continue
    fi
    break
  done
  secs=$(( $(date +%s) - t0 ))
  if [ $status = ok ]; then
    "$PY" notebooks/tools/clean_outputs.py "$out"
    if $in_place; then cp "$out" "$nb"; log "updated $nb"; fi
    summary+=("ok      ${secs}s  $nb")
  else
    failed+=("$nb")
    summary+=("FAILED  ${secs}s  $nb   (log: $nblog)")
    if [ $rc = 124 ]; then echo "$nb: ran past NOTEBOOK_TIMEOUT=${NOTEBOOK_TIMEOUT}s" >&2; fi
    # nbconvert's report: the failing cell and the Java exception, without Python's traceback
    sed -n '/^nbclient.exceptions.CellExecutionError\|^RuntimeError\|^TimeoutError/,$p' "$nblog.attempt" \
      | grep -v '^\[20[0-9-]* [0-9:]*\] \[INFO' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | head -60 >&2
  fi
  rm -f "$nblog.attempt"
done

log "results (total $(( $(date +%s) - t_start )) s):"
printf '  %s\n' "${summary[@]}"
echo "notebooks: $(( ${#selected[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_notebooks: ${#failed[@]} notebook(s) failed: ${failed[*]}" >&2
  exit 1
fi
