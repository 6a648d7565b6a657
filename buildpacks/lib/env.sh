# Exports the app's config vars (ENV_DIR: one file per variable) for the compile, as Heroku's export_env_dir
# does: no eval, names must be shell identifiers, and variables that would break the build are skipped. Sourced.

export_env_dir() {
  local env_dir=$1 file name
  for file in "$env_dir"/*; do
    [ -f "$file" ] || continue
    name=${file##*/}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    case "$name" in
      PATH | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LD_LIBRARY_PATH | LANG | HOME | BUILDPACK_URL) continue ;;
      BP_DIR | BUILD_DIR | CACHE_DIR | ENV_DIR | TMP_DIR | YB_METADATA_FILE) continue ;;  # the build context
    esac
    export "$name=$(cat "$file")"
  done
}
