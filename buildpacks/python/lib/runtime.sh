# Python runtime for the slug: the builder's Debian Python 3.11, copied into BUILD/.heroku/python so the run
# image needs no Python of its own. Only 3.11 is offered; asking for another version fails clearly.
# Sourced by bin/compile after it has set the read-only build context (BP_DIR, BUILD_DIR, CACHE_DIR, TMP_DIR);
# install_python sets PYTHON_VERSION.

PYTHON=/usr/bin/python3.11
# Debian's site.py puts <prefix>/lib/python3.11/dist-packages on sys.path; the prefix is found from the
# interpreter's location, so this holds at /app as well as at the build path.
readonly SITE_DIR="$BUILD_DIR/.heroku/python/lib/python3.11/dist-packages"
# Libraries Python 3.11 or its standard extension modules need that the stack image does not have.
PYTHON_NATIVE_LIBS=(libexpat.so.1 libsqlite3.so.0 libreadline.so.8)

# Fails unless runtime.txt / .python-version / Pipfile.lock's _meta.requires (if present) ask for Python 3.11.
check_requested_version() {
  local file wanted
  for file in runtime.txt .python-version Pipfile.lock; do
    [ -f "$BUILD_DIR/$file" ] || continue
    if [ "$file" = Pipfile.lock ]; then
      wanted=$(lock_tool python-version)
      [ -n "$wanted" ] || continue
    else
      read -r wanted < "$BUILD_DIR/$file" || true
    fi
    wanted=${wanted#python-}
    case "$wanted" in
      3.11 | 3.11.*) ;;
      *) yb_fail "$file asks for Python '$wanted', but this platform provides Python 3.11 only (Debian bookworm)" \
                 "use 3.11 in $file (or remove it)" ;;
    esac
  done
}

# Runs lib/pipfile-lock.py on the app's Pipfile.lock; a lock it cannot use fails the build with its reason.
lock_tool() {
  local out
  out=$(/usr/bin/python3 "$BP_DIR/lib/pipfile-lock.py" "$1" "$BUILD_DIR/Pipfile.lock" "${@:2}" 2>&1) || yb_fail "$out"
  printf '%s\n' "$out"
}

install_python() {
  local home="$BUILD_DIR/.heroku/python" lib dir
  [ -x "$PYTHON" ] || yb_fail "the builder image has no $PYTHON"
  PYTHON_VERSION=$("$PYTHON" -c 'import platform; print(platform.python_version())')
  yb_topic "Installing Python $PYTHON_VERSION"
  rm -rf "$home"
  mkdir -p "$home/bin" "$home/lib/native"
  cp "$PYTHON" "$home/bin/python3.11"
  ln -s python3.11 "$home/bin/python3"
  ln -s python3.11 "$home/bin/python"
  # The standard library without its test suites; Python finds it from the interpreter's location.
  tar -C /usr/lib -c --exclude='python3.11/test' --exclude='python3.11/idlelib' --exclude='__pycache__' \
    --exclude='python3.11/lib-dynload/_test*' python3.11 | tar -C "$home/lib" -x
  for lib in "${PYTHON_NATIVE_LIBS[@]}"; do
    for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
      if [ -e "$dir/$lib" ]; then cp -L "$dir/$lib" "$home/lib/native/"; break; fi
    done
  done
  mkdir -p "$SITE_DIR"
  yb_info "Python $PYTHON_VERSION (Debian bookworm) into .heroku/python"
  if [ ! -f "$BUILD_DIR/runtime.txt" ] && [ ! -f "$BUILD_DIR/.python-version" ] && [ ! -f "$BUILD_DIR/Pipfile.lock" ]; then
    yb_info "no runtime.txt or .python-version: the default Python ($PYTHON_VERSION)"
  fi
}

# Runs pip with the builder's Python; its output as detail lines, minus the noise of warm builds.
pip_indented() {
  (cd "$BUILD_DIR" && /usr/bin/python3 -m pip "$@" --progress-bar off) 2>&1 |
    sed -u -e '/^Requirement already satisfied/d' -e '/^  Using cached/d' -e '/^Looking in links/d' \
      -e '/^Processing .*pip-wheels/d' -e '/already downloaded/d' -e '/^Saved /d' | yb_indent
}

# Installs pinned requirements through the wheel cache CACHE/pip-wheels (pip's own HTTP cache cannot work behind
# a proxy that strips caching headers), so a warm build installs offline; only when the cached wheels do not
# satisfy the requirements does pip go to the index (and build wheels for sdists once).
# FETCH is what pip downloads from the index: with --hash options, pip verifies every file it fetches. INSTALL is
# the same list without hashes, installed from the cache alone: a wheel pip built from an sdist cannot match the
# sdist's hash. usage: install_pinned FETCH INSTALL
install_pinned() {
  local fetch=$1 install=$2 wheels="$CACHE_DIR/pip-wheels" status=0
  local -a cached=(--find-links "$wheels")
  # Hash-checked downloads never take a candidate from the cache, whose built wheels carry other hashes.
  [ "$fetch" = "$install" ] || cached=()
  mkdir -p "$wheels"
  if pip_indented install --quiet --no-index --find-links "$wheels" --target "$SITE_DIR" -r "$install" > /dev/null 2>&1; then
    yb_info "all requirements installed from the wheel cache"
    return
  fi
  rm -rf "$SITE_DIR" && mkdir -p "$SITE_DIR"
  pip_indented wheel --wheel-dir "$wheels" ${cached[@]+"${cached[@]}"} -r "$fetch" || status=$?
  [ "$status" -eq 0 ] || yb_fail "pip could not fetch or build the requirements (exit status $status, see above)"
  pip_indented install --no-index --find-links "$wheels" --target "$SITE_DIR" --no-warn-script-location -r "$install" || status=$?
  [ "$status" -eq 0 ] || yb_fail "pip install failed (exit status $status, see the output above)"
}

# Chooses the app's dependency file: requirements.txt, else Pipfile.lock (read without pipenv: its "default"
# packages, pinned, with their hashes), else pyproject.toml (installed online), else none (a standard-library app,
# said in the log). A Pipfile without its lock fails.
install_dependencies() {
  local status=0 hashed="$TMP_DIR/pipfile-hashed.txt" pinned="$TMP_DIR/pipfile-pinned.txt"
  if [ -f "$BUILD_DIR/requirements.txt" ]; then
    yb_topic "Installing requirements with pip"
    install_pinned requirements.txt requirements.txt
  elif [ -f "$BUILD_DIR/Pipfile.lock" ]; then
    yb_topic "Installing the packages of Pipfile.lock with pip"
    lock_tool requirements > "$hashed"
    lock_tool requirements --no-hashes > "$pinned"
    if grep -q -- '--hash=' "$hashed"; then
      yb_info "downloads checked against the lock's hashes"
    else
      yb_warn "Pipfile.lock: not every package has hashes (git, file or path entries), so none are checked"
    fi
    yb_info "$(grep -c . "$pinned") package(s) locked; the lock's own sources are ignored, pip uses the platform's index"
    install_pinned "$hashed" "$pinned"
  elif [ -f "$BUILD_DIR/pyproject.toml" ]; then
    yb_topic "Installing the project (pyproject.toml) with pip"
    pip_indented install --target "$SITE_DIR" --no-warn-script-location . || status=$?
    [ "$status" -eq 0 ] || yb_fail "pip install failed (exit status $status, see the output above)"
  elif [ ! -f "$BUILD_DIR/Pipfile" ]; then
    # Detected by its .py files and a Procfile running python (bin/detect): Heroku-era scripts with no packages.
    yb_topic "No dependency file"
    yb_info "assumed a standard-library app: no requirements.txt, Pipfile.lock or pyproject.toml, and the Procfile runs python"
    yb_info "no packages installed; add a requirements.txt to install some"
  else
    yb_fail "Pipfile has no Pipfile.lock beside it: run \"pipenv lock\" and commit Pipfile.lock" \
      "(this platform installs the lock's packages with pip; it does not run pipenv)"
  fi
  # Console scripts (gunicorn, …): into bin/, run by the slug's python from PATH.
  if [ -d "$SITE_DIR/bin" ]; then
    local script
    for script in "$SITE_DIR/bin"/*; do
      sed -i '1s|^#!.*python[0-9.]*$|#!/usr/bin/env python3|' "$script"
      mv "$script" "$BUILD_DIR/.heroku/python/bin/"
    done
    rmdir "$SITE_DIR/bin"
  fi
}
