# Installs the app's dependencies with the package manager its lockfile names (package-lock.json → npm ci,
# yarn.lock → yarn 1, pnpm-lock.yaml → pnpm, none → npm install), or for npm reuses the node_modules of the last
# build when its inputs are unchanged; runs its build script, then prunes devDependencies. Package-manager caches
# live in CACHE. Sourced by bin/compile after it has set the read-only build context (BP_DIR, BUILD_DIR, CACHE_DIR,
# TMP_DIR).

# npm's option to install devDependencies too (NODE_ENV is production): --include=dev since npm 7, before it
# --production=false (which npm 7+ no longer reads the same way).
npm_with_dev() { if [ "$NPM_MAJOR" -ge 7 ]; then echo --include=dev; else echo --production=false; fi; }

# Prints npm, yarn or pnpm; fails when several lockfiles disagree. npm before 5.7 has no "npm ci" (nor lockfiles
# it would read), so a package-lock.json with such an npm installs as without a lockfile.
package_manager() {
  local -a found=()
  if [ -f "$BUILD_DIR/package-lock.json" ] || [ -f "$BUILD_DIR/npm-shrinkwrap.json" ]; then
    if [ "$NPM_MAJOR" -ge 5 ]; then found+=(npm); else yb_info "npm $NPM_MAJOR has no \"npm ci\": package-lock.json is not used" >&2; fi
  fi
  [ -f "$BUILD_DIR/yarn.lock" ] && found+=(yarn)
  [ -f "$BUILD_DIR/pnpm-lock.yaml" ] && found+=(pnpm)
  if [ "${#found[@]}" -gt 1 ]; then
    yb_fail "several lockfiles found (${found[*]}): keep only the one of the package manager you use"
  fi
  echo "${found[0]:-none}"
}

# Installs a package manager shipped as an npm package ($1 name, $2 version range) into BUILD/.heroku/$1.
install_tool() {
  local name=$1 range=$2 version tarball home="$BUILD_DIR/.heroku/$1"
  version=$(resolve_version "$name" "$range")
  [ -n "$version" ] || yb_fail "no $name version matches \"$range\""
  tarball=$(fetch_tarball "$name" "$version" "$CACHE_DIR/$name/$version")
  for old in "$CACHE_DIR/$name"/*; do [ "$old" = "$CACHE_DIR/$name/$version" ] || rm -rf -- "$old"; done
  rm -rf "$home"
  mkdir -p "$home/.bin"
  tar -xzf "$tarball" -C "$home" --strip-components=1
  # Link the package's "bin" entries as npm would (tarballs do not always carry the executable bit).
  local bin target
  while IFS= read -r bin; do
    target=$(builder_node "$BP_DIR/lib/package-json.js" "$home" "bin.$bin")
    target=${target#./}
    [[ $bin =~ ^[a-z0-9][a-z0-9_-]*$ ]] && [ -f "$home/$target" ] || continue
    chmod +x "$home/$target"
    ln -sf "../$target" "$home/.bin/$bin"
  done < <(builder_node "$BP_DIR/lib/package-json.js" "$home" keys:bin)
  export PATH="$home/.bin:$PATH"
  yb_info "$name $version"
}

# Version range of a package manager from package.json "packageManager" (e.g. "pnpm@9.12.0+sha512…").
package_manager_range() {
  local field
  field=$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" packageManager)
  case "$field" in
    "$1"@*) field=${field#"$1"@}; echo "${field%%+*}" ;;
    *) echo "$2" ;;
  esac
}

# Runs a command with its output as indented detail lines; returns the command's exit status (pipefail).
run_indented() { "$@" 2>&1 | yb_indent; }

# The app's node_modules as its last npm install left it (docs/architecture.md §4.2, "Reusing node_modules"):
# CACHE/node-modules/node_modules, with CACHE/node-modules/inputs, the dependency inputs that made it.
NODE_MODULES_CACHE_DIR=node-modules

# Prints this build's dependency inputs ("<input> <hash>" lines, lib/node-modules-key.js), or "refuse: <reason>"
# with status 3 when node_modules must not be reused.
node_modules_inputs() {
  builder_node "$BP_DIR/lib/node-modules-key.js" "$BUILD_DIR" "$NODE_VERSION" "$NPM_VERSION" \
    "$BP_DIR/lib/dependencies.sh" "$BP_DIR/lib/node-modules-key.js"
}

# Why this npm build cannot reuse the cached node_modules (one line), or nothing when it can. Writes this build's
# inputs to file $1 when they could be computed (then a fresh install may be kept for the next build), else
# removes it.
node_modules_refusal() {
  local inputs=$1 cached="$CACHE_DIR/$NODE_MODULES_CACHE_DIR" changed
  rm -f -- "$inputs"
  if [ "${NODE_MODULES_CACHE:-}" = false ]; then echo "config var NODE_MODULES_CACHE is false"; return 0; fi
  if ! node_modules_inputs > "$inputs.new"; then
    changed=$(sed -n 's/^refuse: //p' "$inputs.new")
    echo "${changed:-its dependency inputs could not be read}"
    rm -f -- "$inputs.new"
    return 0
  fi
  mv -f -- "$inputs.new" "$inputs"
  # A complete copy is a real directory holding the inputs file (written last) and a real node_modules directory, or
  # the "none" file when npm made no node_modules (an app without dependencies).
  if [ -L "$cached" ] || [ ! -f "$cached/inputs" ] || [ -L "$cached/inputs" ] ||
    { { [ ! -d "$cached/node_modules" ] || [ -L "$cached/node_modules" ]; } && { [ ! -f "$cached/none" ] || [ -L "$cached/none" ]; }; }; then
    echo "no complete copy from an earlier build"
    return 0
  fi
  changed=$(awk '
    BEGIN { label["package.json"] = "package.json"; label["package-lock.json"] = "package-lock.json"
            label["npm-shrinkwrap.json"] = "npm-shrinkwrap.json"; label[".npmrc"] = ".npmrc"; label["node"] = "Node.js"
            label["npm"] = "npm"; label["buildpack"] = "the buildpack"; label["settings"] = "NODE_ENV or NPM_CONFIG_* settings"
            label["machine"] = "the build machine" }
    NR == FNR { old[$1] = $2; next }
    { seen[$1] = 1; if (old[$1] != $2) out = out (out ? ", " : "") ($1 in label ? label[$1] : $1) }
    END { for (k in old) if (!(k in seen)) out = out (out ? ", " : "") (k in label ? label[k] : k); print out }
  ' "$cached/inputs" "$inputs")
  [ -z "$changed" ] || echo "$changed changed since the last build"
}

# Keeps BUILD/node_modules as npm installed it (before the build script and the prune) for the next build. Copied,
# never linked (a build script may change files in place); cp -a keeps links as links and never follows them. The
# copy goes to a new directory that gets its inputs file last and is then renamed into place, so a build stopped
# midway leaves either the old complete copy, none, or the new complete one. Failing to keep it fails nothing.
save_node_modules() {
  local inputs=$1 cached="$CACHE_DIR/$NODE_MODULES_CACHE_DIR" new="$CACHE_DIR/$NODE_MODULES_CACHE_DIR.new"
  local old="$CACHE_DIR/$NODE_MODULES_CACHE_DIR.old"
  rm -rf -- "$new" "$old"
  local copy=(cp -a "$BUILD_DIR/node_modules" "$new/node_modules")
  if [ -L "$BUILD_DIR/node_modules" ] || { [ -e "$BUILD_DIR/node_modules" ] && [ ! -d "$BUILD_DIR/node_modules" ]; }; then
    drop_node_modules
    return 0
  fi
  [ -e "$BUILD_DIR/node_modules" ] || copy=(touch "$new/none")
  if ! { mkdir "$new" && "${copy[@]}" && cp "$inputs" "$new/inputs"; }; then
    yb_warn "could not keep node_modules for the next build (the next build installs again)"
    rm -rf -- "$new"
    return 0
  fi
  if [ -e "$cached" ] || [ -L "$cached" ]; then mv -T -- "$cached" "$old"; fi
  mv -T -- "$new" "$cached"
  rm -rf -- "$old"
}

# Removes the kept node_modules (not reusable: it would only take space).
drop_node_modules() { rm -rf -- "$CACHE_DIR/$NODE_MODULES_CACHE_DIR" "$CACHE_DIR/$NODE_MODULES_CACHE_DIR".new "$CACHE_DIR/$NODE_MODULES_CACHE_DIR".old; }

install_dependencies() {
  local pm=$1 status=0 reason inputs="$TMP_DIR/node-modules-inputs"
  cd "$BUILD_DIR"
  [ "$pm" = npm ] || drop_node_modules
  case "$pm" in
    npm)
      reason=$(node_modules_refusal "$inputs")
      if [ -z "$reason" ]; then
        if [ -f "$CACHE_DIR/$NODE_MODULES_CACHE_DIR/none" ] ||
          cp -a "$CACHE_DIR/$NODE_MODULES_CACHE_DIR/node_modules" "$BUILD_DIR/node_modules"; then
          yb_topic "Reusing node_modules: package.json, lockfile, Node.js, npm and npm settings unchanged since the last build"
          return 0
        fi
        rm -rf -- "$BUILD_DIR/node_modules"
        reason="the cached copy could not be restored"
      fi
      yb_topic "Installing dependencies (npm ci)"
      yb_info "node_modules not reused: $reason"
      run_indented npm ci "$(npm_with_dev)" || status=$?
      if [ "$status" -eq 0 ]; then
        if [ -f "$inputs" ]; then save_node_modules "$inputs"; else drop_node_modules; fi
      fi ;;
    none)
      yb_topic "Installing dependencies (npm install)"
      yb_warn "no lockfile (package-lock.json, yarn.lock or pnpm-lock.yaml): dependency versions are not pinned"
      run_indented npm install "$(npm_with_dev)" || status=$? ;;
    yarn)
      yb_topic "Installing dependencies (yarn)"
      [ ! -f .yarnrc.yml ] || yb_fail "Yarn 2+ (.yarnrc.yml) is not supported yet: use Yarn 1, npm or pnpm"
      install_tool yarn "$(package_manager_range yarn 1)"
      [ -z "${NPM_CONFIG_REGISTRY:-}" ] || export YARN_REGISTRY=$NPM_CONFIG_REGISTRY
      run_indented yarn install --frozen-lockfile --production=false --non-interactive \
        --cache-folder "$CACHE_DIR/yarn-cache" --prefer-offline || status=$? ;;
    pnpm)
      yb_topic "Installing dependencies (pnpm)"
      install_tool pnpm "$(package_manager_range pnpm 9)"
      run_indented pnpm install --frozen-lockfile --prod=false --store-dir "$CACHE_DIR/pnpm-store" \
        --prefer-offline || status=$? ;;
  esac
  [ "$status" -eq 0 ] || yb_fail "installing dependencies with $pm failed (exit status $status, see the output above)"
}

run_build_script() {
  local pm=$1 script runner=npm
  [ "$pm" = none ] || runner=$pm
  if [ -n "$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" scripts.heroku-postbuild)" ]; then
    script=heroku-postbuild
  elif [ -n "$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" scripts.build)" ]; then
    script=build
  else
    return 0
  fi
  yb_topic "Running build ($runner run $script)"
  local status=0
  (cd "$BUILD_DIR" && run_indented "$runner" run "$script") || status=$?
  [ "$status" -eq 0 ] || yb_fail "the build script failed: \"$runner run $script\" exited with status $status"
}

prune_dev_dependencies() {
  local pm=$1 status=0
  [ -n "$(builder_node "$BP_DIR/lib/package-json.js" "$BUILD_DIR" keys:devDependencies)" ] || return 0
  yb_topic "Pruning devDependencies"
  if [ "${NPM_CONFIG_PRODUCTION:-}" = false ] || [ "${YARN_PRODUCTION:-}" = false ]; then
    yb_info "skipped: config var NPM_CONFIG_PRODUCTION or YARN_PRODUCTION is false (as on Heroku)"
    return 0
  fi
  cd "$BUILD_DIR"
  case "$pm" in
    npm | none)
      if [ "$NPM_MAJOR" -ge 7 ]; then run_indented npm prune --omit=dev || status=$?
      else run_indented npm prune --production || status=$?; fi ;;
    yarn) run_indented yarn install --frozen-lockfile --production=true --ignore-scripts --non-interactive \
            --prefer-offline --cache-folder "$CACHE_DIR/yarn-cache" || status=$? ;;
    pnpm) run_indented pnpm prune --prod --config.store-dir="$CACHE_DIR/pnpm-store" || status=$? ;;
  esac
  [ "$status" -eq 0 ] || yb_fail "pruning devDependencies with $pm failed (exit status $status, see the output above)"
}
