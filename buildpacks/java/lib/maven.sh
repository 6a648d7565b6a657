# Maven for a build: the version pinned by the Maven wrapper (.mvn/wrapper/maven-wrapper.properties, fetched
# from its distributionUrl, or from MAVEN_MIRROR_URL when set, into CACHE/java/maven/<version>), else the
# builder's Debian Maven. Local repository CACHE/java/m2; MAVEN_MIRROR_URL becomes a mirror of every
# repository. Config vars MAVEN_CUSTOM_GOALS (default "clean package") and MAVEN_CUSTOM_OPTS (default
# "-DskipTests"), as on Heroku. Sourced by bin/compile after the build context is set.

curl_dist() { curl -fsSL --retry 2 ${SSL_CERT_FILE:+--cacert "$SSL_CERT_FILE"} "$@"; }

# Prints the mvn command to use; fetches the wrapper's Maven once.
maven_command() {
  local props="$BUILD_DIR/.mvn/wrapper/maven-wrapper.properties" url version home zip
  if [ ! -f "$BUILD_DIR/mvnw" ] || [ ! -f "$props" ]; then
    yb_info "Maven $(mvn -v 2>/dev/null | sed -e 's/\x1b\[[0-9;]*m//g' | sed -n 's/^Apache Maven \([^ ]*\).*/\1/p') (the builder's)" >&2
    echo mvn
    return 0
  fi
  url=$(sed -n 's/^[[:space:]]*distributionUrl[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1/p' "$props" | sed 's/\\:/:/g' | head -n 1)
  version=$(printf '%s' "$url" | sed -n 's|.*/apache-maven-\([0-9][0-9A-Za-z.-]*\)-bin\.zip$|\1|p')
  [ -n "$version" ] || yb_fail "mvnw: cannot read the Maven version from distributionUrl in .mvn/wrapper/maven-wrapper.properties"
  if [ -n "${MAVEN_MIRROR_URL:-}" ] && [[ $url == */org/apache/maven/* ]]; then
    url="${MAVEN_MIRROR_URL%/}/org/apache/maven/${url#*/org/apache/maven/}"
  fi
  home="$CACHE_DIR/java/maven/$version"
  if [ ! -x "$home/bin/mvn" ]; then
    zip="$TMP_DIR/maven.zip"
    curl_dist -o "$zip" "$url" || yb_fail "mvnw: could not download Maven $version ($url)"
    rm -rf "$TMP_DIR/maven" "$home"
    unzip -q "$zip" -d "$TMP_DIR/maven" || yb_fail "mvnw: the Maven $version download is not a valid zip"
    mkdir -p "$CACHE_DIR/java/maven"
    rm -rf "$CACHE_DIR/java/maven"/*
    mv "$TMP_DIR/maven/apache-maven-$version" "$home"
    yb_info "Maven $version (the wrapper's, downloaded)" >&2
  else
    yb_info "Maven $version (the wrapper's, cached)" >&2
  fi
  echo "$home/bin/mvn"
}

maven_settings() {
  if [ -f "$BUILD_DIR/settings.xml" ]; then
    yb_info "using the app's settings.xml" >&2
    echo "$BUILD_DIR/settings.xml"
  elif [ -n "${MAVEN_MIRROR_URL:-}" ]; then
    cat > "$TMP_DIR/settings.xml" <<XML
<settings><mirrors><mirror><id>yunbang-mirror</id><mirrorOf>*</mirrorOf><url>$MAVEN_MIRROR_URL</url></mirror></mirrors></settings>
XML
    echo "$TMP_DIR/settings.xml"
  fi
}

# The compiler level when the pom sets none (nor a parent that might): Java 8, the oldest level JDK 17 compiles
# without deprecation, instead of maven-compiler-plugin's default 1.5 that JDK 17 refuses ("Source option 5 is no
# longer supported"). Heroku's old default JDK 8 accepted that default; this keeps such poms building unchanged.
readonly DEFAULT_COMPILER_LEVEL=8

# Prints the -D options that default the compiler level, or nothing when the pom (or its parent) decides it.
compiler_level_options() {
  local level
  level=$(python3 "$BP_DIR/lib/compiler-level.py" "$BUILD_DIR/pom.xml") || yb_fail "pom.xml is not valid XML (see above)"
  [ "$level" = none ] || return 0
  yb_info "pom.xml sets no compiler level (maven.compiler.source/target/release): using Java $DEFAULT_COMPILER_LEVEL" >&2
  printf '%s\n' "-Dmaven.compiler.source=$DEFAULT_COMPILER_LEVEL" "-Dmaven.compiler.target=$DEFAULT_COMPILER_LEVEL"
}

run_maven() {
  local mvn settings status=0
  local level
  local -a goals opts args
  yb_topic "Building with Maven"
  mvn=$(maven_command)
  settings=$(maven_settings)
  read -r -a goals <<< "${MAVEN_CUSTOM_GOALS:-clean package}"
  read -r -a opts <<< "${MAVEN_CUSTOM_OPTS:--DskipTests}"
  args=(-B --no-transfer-progress -Dstyle.color=never "-Dmaven.repo.local=$CACHE_DIR/java/m2")
  [ -z "$settings" ] || args+=(-s "$settings")
  level=$(compiler_level_options)
  [ -z "$level" ] || args+=($level) # two fixed -D options, split on purpose
  yb_info "mvn ${opts[*]} ${goals[*]}"
  mkdir -p "$CACHE_DIR/java/m2"
  (cd "$BUILD_DIR" && "$mvn" "${args[@]}" "${opts[@]}" "${goals[@]}") 2>&1 |
    sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^\[INFO\] *$/d' -e '/^\[INFO\] -*$/d' | yb_indent || status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || yb_fail "the Maven build failed (exit status $status, see the output above)"
}
