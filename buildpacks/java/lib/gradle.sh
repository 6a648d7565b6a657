# Gradle for a build: Debian bookworm's Gradle 4.4.1 in the builder, the only Gradle distribution a registry this
# platform reaches provides (Gradle's own download server, where ./gradlew fetches its version, is not one; Maven
# Central has only the gradle-core and tooling-API jars). User home CACHE/java/gradle (dependency cache);
# MAVEN_MIRROR_URL is put first for every project. Task: config var GRADLE_TASK, else "stage" when the build
# defines it (Heroku's convention), else "build -x check". Sourced by bin/compile after the build context is set.

readonly GRADLE_BIN=/usr/bin/gradle
readonly GRADLE_WHY_OLD="this platform builds Gradle projects with Debian's Gradle 4.4.1, the only Gradle distribution a registry it reaches provides (Gradle's own download server is not one), so a build that needs a newer Gradle must move to Maven (pom.xml) or a Dockerfile"

# The tasks to run, one a line: GRADLE_TASK, else stage when a build script defines it, else build -x check.
gradle_tasks() {
  local -a words
  if [ -n "${GRADLE_TASK:-}" ]; then
    read -r -a words <<< "$GRADLE_TASK" # "clean stage" is two tasks; no glob expansion
    printf '%s\n' "${words[@]}"
  elif grep -Eqs "(^|[^A-Za-z0-9_.])(task[[:space:]]*\\(?[[:space:]]*[\"']?stage([\"'[:space:](){]|$)|tasks\\.(register|create)[[:space:]]*\\([[:space:]]*[\"']stage[\"'])" \
      "$BUILD_DIR"/build.gradle "$BUILD_DIR"/build.gradle.kts; then
    echo stage
  else
    printf '%s\n' build -x check
  fi
}

# The Gradle version ./gradlew would download (gradle/wrapper/gradle-wrapper.properties), empty without a wrapper.
gradle_wrapper_version() {
  local props="$BUILD_DIR/gradle/wrapper/gradle-wrapper.properties"
  [ -f "$props" ] || return 0
  sed -n 's#^[[:space:]]*distributionUrl[[:space:]]*=.*/gradle-\([0-9][0-9A-Za-z.-]*\)-\(bin\|all\)\.zip.*#\1#p' "$props" | head -n 1
}

run_gradle() {
  local wrapper status=0 init
  local -a tasks args
  yb_topic "Building with Gradle"
  [ -x "$GRADLE_BIN" ] || yb_fail "the builder image has no Gradle (rebuild it: scripts/build-images.sh)"
  wrapper=$(gradle_wrapper_version)
  [ -z "$wrapper" ] || yb_warn "./gradlew asks for Gradle $wrapper, which it would download from Gradle's own server (not a registry reached here): using Debian's Gradle 4.4.1 instead"
  yb_info "Gradle 4.4.1 (Debian's)"
  mapfile -t tasks < <(gradle_tasks)
  # The project cache (.gradle/) stays out of the slug.
  args=(--no-daemon --console=plain --gradle-user-home "$CACHE_DIR/java/gradle" --project-cache-dir "$TMP_DIR/gradle-project"
    --project-dir "$BUILD_DIR")
  if [ -n "${MAVEN_MIRROR_URL:-}" ]; then
    init="$TMP_DIR/mirror.gradle"
    # The mirror goes first in every project's (and build script's) repositories; a URL is data in a Groovy string.
    printf 'def yb_mirror = System.getenv("MAVEN_MIRROR_URL")\nallprojects {\n  buildscript { repositories { maven { url yb_mirror } } }\n  repositories { maven { url yb_mirror } }\n}\n' > "$init"
    args+=(--init-script "$init")
  fi
  # The trust store of install_truststore (MAVEN_OPTS) serves Gradle too: without a daemon, the client JVM resolves.
  export GRADLE_OPTS="${GRADLE_OPTS:+$GRADLE_OPTS }${MAVEN_OPTS:-}"
  yb_info "gradle ${tasks[*]}"
  mkdir -p "$CACHE_DIR/java/gradle"
  "$GRADLE_BIN" "${args[@]}" "${tasks[@]}" 2>&1 | sed -u -e '/^[[:space:]]*$/d' | yb_indent || status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || yb_fail "the Gradle build failed (exit status $status, see the output above); $GRADLE_WHY_OLD"
}
