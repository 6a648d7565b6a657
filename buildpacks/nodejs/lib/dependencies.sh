# Installs the app's dependencies with the package manager its lockfile names (package-lock.json → npm ci,
# yarn.lock → yarn 1, pnpm-lock.yaml → pnpm, none → npm install), runs its build script, then prunes
# devDependencies. Package-manager caches live in CACHE. Sourced by bin/compile after it has set the
# read-only build context (BP_DIR, BUILD_DIR, CACHE_DIR, TMP_DIR).

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

install_dependencies() {
  local pm=$1 status=0
  cd "$BUILD_DIR"
  case "$pm" in
    npm)
      yb_topic "Installing dependencies (npm ci)"
      run_indented npm ci "$(npm_with_dev)" || status=$? ;;
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
