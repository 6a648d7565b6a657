# Composer packages for the slug: installed with the builder's Composer (Debian's) from the Composer repository
# the platform names (COMPOSER_REPO_URL, from YB_COMPOSER_REPO), which replaces Packagist — Packagist and the
# packages' source hosts are not registries this platform reaches. Without one, an app that requires packages must
# commit vendor/. Sourced by bin/compile after the build context (BP_DIR, BUILD_DIR, CACHE_DIR, TMP_DIR) is set.

# The packages composer.json requires (not php, ext-*, lib-*), separated by spaces; fails on invalid JSON.
composer_requires() {
  php -r '$c = json_decode(file_get_contents($argv[1]), true);
    if (!is_array($c)) { exit(2); }
    foreach (($c["require"] ?? []) as $n => $v) {
      if ($n !== "php" && strncmp($n, "ext-", 4) !== 0 && strncmp($n, "lib-", 4) !== 0) echo "$n ";
    }' "$BUILD_DIR/composer.json" || yb_fail "composer.json is not valid JSON"
}

# Writes Composer's global config: the platform's repository in place of packagist.org; secure-http off only for
# an http:// repository (the operator chose it); the build's CA bundle. JSON written by PHP, never by the shell.
composer_global_config() {
  php -r '$url = $argv[1]; $ca = $argv[2];
    $config = ["secure-http" => strncmp($url, "https://", 8) === 0];
    if ($ca !== "") { $config["cafile"] = $ca; }
    echo json_encode(["config" => $config, "repositories" => ["packagist.org" => ["type" => "composer", "url" => $url]]],
      JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' "$COMPOSER_REPO_URL" "${SSL_CERT_FILE:-}" > "$COMPOSER_HOME/config.json"
}

install_composer_packages() {
  local packages status=0
  [ -f "$BUILD_DIR/composer.json" ] || return 0
  packages=$(composer_requires)
  [ -n "$packages" ] || return 0
  if [ -f "$BUILD_DIR/vendor/autoload.php" ]; then
    yb_info "composer.json requires ${packages% }: using the committed vendor/ directory"
    return 0
  fi
  if [ -z "${COMPOSER_REPO_URL:-}" ]; then
    yb_fail "composer.json requires packages (${packages% }), but this platform has no Composer repository (YB_COMPOSER_REPO) and" \
      "Packagist is not a registry it reaches: commit the vendor/ directory (composer install --no-dev), or ask the operator to set YB_COMPOSER_REPO."
  fi
  case "$COMPOSER_REPO_URL" in
    http://* | https://*) ;;
    *) yb_fail "the Composer repository \"$COMPOSER_REPO_URL\" (YB_COMPOSER_REPO) is not an http(s) URL" ;;
  esac
  command -v composer > /dev/null || yb_fail "the builder image has no composer (rebuild it: scripts/build-images.sh)"
  yb_topic "Installing Composer packages (composer install)"
  yb_info "from the Composer repository $COMPOSER_REPO_URL, in place of Packagist"
  [[ $COMPOSER_REPO_URL == https://* ]] || yb_warn "the Composer repository is plain http: Composer's secure-http is off for it"
  [ -f "$BUILD_DIR/composer.lock" ] || yb_warn "no composer.lock: package versions are resolved now, not pinned"
  export COMPOSER_HOME=$TMP_DIR/composer-home COMPOSER_CACHE_DIR=$CACHE_DIR/composer COMPOSER_NO_INTERACTION=1 \
    COMPOSER_DISABLE_XDEBUG_WARN=1
  mkdir -p "$COMPOSER_HOME" "$COMPOSER_CACHE_DIR"
  composer_global_config
  (cd "$BUILD_DIR" && composer install --no-dev --prefer-dist --optimize-autoloader --no-progress --no-ansi) 2>&1 |
    yb_indent || status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || yb_fail "composer install failed (exit status $status, see the output above)"
}

# Metadata: the packages composer.json requires, with the versions Composer installed (vendor/composer/installed.json).
composer_dependencies_json() {
  php -r '$req = json_decode(@file_get_contents($argv[1]), true)["require"] ?? [];
    $installed = json_decode(@file_get_contents($argv[2]), true);
    $list = is_array($installed) ? ($installed["packages"] ?? $installed) : [];
    $deps = new stdClass();
    foreach ($list as $p) {
      if (is_array($p) && isset($p["name"], $p["version"]) && is_string($p["name"]) && array_key_exists($p["name"], $req)) {
        $deps->{$p["name"]} = (string) $p["version"];
      }
    }
    echo json_encode($deps, JSON_UNESCAPED_SLASHES);' "$BUILD_DIR/composer.json" "$BUILD_DIR/vendor/composer/installed.json"
}
