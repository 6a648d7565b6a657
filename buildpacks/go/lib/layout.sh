# Apps without go.mod, as Heroku's Go buildpack built them before modules: decides how such an app builds and
# prepares it. Stdlib-only apps (no vendor/, no Godeps/_workspace) get a generated go.mod and build in module
# mode; GOPATH-era layouts (Godeps, .godir, vendor/) build in GOPATH mode with the app at its import path.
# Sourced by bin/compile after the read-only build context (BUILD_DIR, TMP_DIR) is set; go_layout sets GO_MODE
# (module or gopath) and IMPORT_PATH. Pure decisions (go_import_path, go_legacy_version) read only BUILD_DIR.

# Import path of an app without go.mod: Godeps.json ImportPath, else vendor/vendor.json rootPath, else .godir,
# else "app" (an app of package main at its root does not need a real one).
go_import_path() {
  local path=""
  if [ -f "$BUILD_DIR/Godeps/Godeps.json" ]; then
    path=$(json_field "$BUILD_DIR/Godeps/Godeps.json" ImportPath)
  elif [ -f "$BUILD_DIR/vendor/vendor.json" ]; then
    path=$(json_field "$BUILD_DIR/vendor/vendor.json" rootPath)
  elif [ -f "$BUILD_DIR/.godir" ]; then
    read -r path < "$BUILD_DIR/.godir" || true
  fi
  path=${path%/}
  # An import path is a slash-separated name: no "..", no leading "/", nothing a shell or go would read as options.
  if [ -z "$path" ]; then
    path=app
  elif ! [[ $path =~ ^[A-Za-z0-9][A-Za-z0-9._~-]*(/[A-Za-z0-9._~-]+)*$ ]] || [[ $path == *..* ]]; then
    yb_fail "the app's import path \"$path\" (Godeps.json, vendor.json or .godir) is not a valid Go import path"
  fi
  printf '%s\n' "$path"
}

# The Go line a GOPATH-era app asks for (Godeps.json GoVersion "go1.6" → "1.6"), empty when none.
go_legacy_version() {
  local v=""
  [ -f "$BUILD_DIR/Godeps/Godeps.json" ] && v=$(json_field "$BUILD_DIR/Godeps/Godeps.json" GoVersion)
  v=${v#go}
  [[ $v =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] && printf '%s\n' "$v"
  return 0
}

# A top-level string field of a JSON file (the builder's Node.js reads it; nothing is evaluated).
json_field() {
  node -e 'try { const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
    if (typeof v === "string") console.log(v) } catch { process.exit(0) }' "$1" "$2"
}

# module (a go.mod exists or is generated) or gopath (vendored GOPATH-era dependencies).
go_mode() {
  if [ -f "$BUILD_DIR/go.mod" ]; then echo module
  elif [ -d "$BUILD_DIR/Godeps/_workspace" ] || [ -d "$BUILD_DIR/vendor" ]; then echo gopath
  else echo module
  fi
}

# Writes the generated go.mod of a stdlib-only app (module IMPORT_PATH, go line of the toolchain in use).
go_generate_mod() {
  printf 'module %s\n\ngo %s\n' "$IMPORT_PATH" "$1" > "$BUILD_DIR/go.mod"
  yb_info "no go.mod: generated one (module $IMPORT_PATH, go $1) to build in module mode"
}

go_layout() {
  GO_MODE=$(go_mode)
  IMPORT_PATH=""
  [ -f "$BUILD_DIR/go.mod" ] && return 0
  IMPORT_PATH=$(go_import_path)
}
