# The Java side of a build: the builder's Debian OpenJDK that system.properties chooses (17 by default) compiles; a trust store made from the build's CA
# bundle lets Maven reach the registry through TLS-intercepting proxies; a jlink'ed Java 17 runtime (cached
# per JDK version in CACHE/java/runtime) goes into BUILD/.heroku/jdk, as the run image has no Java.
# Sourced by bin/compile after the read-only build context (BP_DIR, BUILD_DIR, CACHE_DIR, TMP_DIR) is set.

# JDKs are Debian's openjdk-<N>-jdk-headless packages in the builder image (bookworm offers 17 only); the app's
# system.properties chooses among them, as on Heroku. JVM_DIR is a parameter for the unit tests.
JVM_DIR=${YB_JVM_DIR:-/usr/lib/jvm}
readonly JVM_DIR
readonly DEFAULT_JAVA_MAJOR=17
# The runtime's modules: every java.* module (a full Java SE API) and the jdk.* modules apps commonly load
# at run time (HTTP server, crypto providers, sun.misc.Unsafe, zip file system, locales, JMX, JFR, DNS, …);
# no compiler and no tools.
readonly JAVA_EXTRA_MODULES=jdk.httpserver,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.unsupported,jdk.zipfs,jdk.localedata,jdk.charsets,jdk.naming.dns,jdk.net,jdk.management,jdk.management.agent,jdk.jfr,jdk.security.auth,jdk.security.jgss,jdk.xml.dom,jdk.sctp

# Java majors with a JDK in the builder, ascending, separated by spaces.
installed_jdks() {
  local d
  for d in "$JVM_DIR"/java-*-openjdk-amd64; do
    [ -x "$d/bin/javac" ] && basename "$d"
  done | sed -n 's/^java-\([0-9]*\)-openjdk-amd64$/\1/p' | sort -n | paste -sd' ' -
}

# The Java major of a java.runtime.version value (Heroku's forms: 17, 17.0.2, 1.8, 1.8.0_392, zulu-17, heroku-21);
# empty when it is none of them.
java_major() {
  local v=${1#*[a-z]-}
  [[ $v =~ ^1\.([0-9]+)([._].*)?$ ]] && { echo "${BASH_REMATCH[1]}"; return; }
  [[ $v =~ ^([0-9]+)(\..*)?$ ]] && echo "${BASH_REMATCH[1]}"
  return 0
}

# Chooses the JDK: system.properties java.runtime.version (Heroku's convention) when its JDK is installed here,
# else Java 17; another version fails in one sentence naming those available. Sets JDK_HOME and JAVA_VERSION.
check_requested_java() {
  local wanted="" major=$DEFAULT_JAVA_MAJOR
  if [ -f "$BUILD_DIR/system.properties" ]; then
    wanted=$(sed -n 's/^[[:space:]]*java\.runtime\.version[[:space:]]*[=:][[:space:]]*\([^[:space:]]*\).*/\1/p' \
      "$BUILD_DIR/system.properties" | head -n 1)
  fi
  if [ -n "$wanted" ]; then
    major=$(java_major "$wanted")
    if [ -z "$major" ] || [ ! -x "$JVM_DIR/java-$major-openjdk-amd64/bin/javac" ]; then
      yb_fail "system.properties asks for Java '$wanted', but the JDKs this platform can install are: $(installed_jdks) (Debian bookworm's OpenJDK), so set java.runtime.version to one of those"
    fi
  fi
  JDK_HOME=$JVM_DIR/java-$major-openjdk-amd64
  [ -x "$JDK_HOME/bin/javac" ] || yb_fail "the builder image has no JDK at $JDK_HOME (rebuild it: scripts/build-images.sh)"
  JAVA_VERSION=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$JDK_HOME/release")
  export JAVA_HOME=$JDK_HOME PATH="$JDK_HOME/bin:$PATH"
  if [ -n "$wanted" ]; then yb_info "system.properties asks for Java $wanted: OpenJDK $JAVA_VERSION"
  else yb_info "no java.runtime.version in system.properties: OpenJDK $JAVA_VERSION (the default)"; fi
}

# A PKCS12 trust store of SSL_CERT_FILE (cached by its hash), handed to Maven through MAVEN_OPTS.
install_truststore() {
  local hash store
  [ -n "${SSL_CERT_FILE:-}" ] && [ -r "$SSL_CERT_FILE" ] || return 0
  hash=$(sha256sum "$SSL_CERT_FILE" | cut -c1-16)
  store="$CACHE_DIR/java/truststore-$hash.p12"
  if [ ! -f "$store" ]; then
    mkdir -p "$CACHE_DIR/java"
    rm -f "$CACHE_DIR/java"/truststore-*.p12
    java "$BP_DIR/lib/Truststore.java" "$SSL_CERT_FILE" "$store.partial" > /dev/null ||
      yb_fail "could not make a Java trust store of $SSL_CERT_FILE"
    mv "$store.partial" "$store"
  fi
  export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djavax.net.ssl.trustStore=$store -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"
}

install_java_runtime() {
  local modules key dir="$CACHE_DIR/java/runtime" cached state=cached home="$BUILD_DIR/.heroku/jdk" old
  modules=$(java --list-modules | sed -n 's/^\(java\.[a-z.]*\)@.*/\1/p' | paste -sd, -),$JAVA_EXTRA_MODULES
  key=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$JDK_HOME/release")-$(printf '%s' "$modules" | sha256sum | cut -c1-8)
  cached="$dir/$key"
  yb_topic "Installing the Java $JAVA_VERSION runtime"
  if [ ! -x "$cached/bin/java" ]; then
    state=built
    rm -rf "$cached.partial"
    mkdir -p "$dir"
    jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 \
      --output "$cached.partial" 2>&1 | yb_indent
    [ -x "$cached.partial/bin/java" ] || yb_fail "jlink could not make the Java runtime (see above)"
    # Debian's JDK keeps its CA certificates outside the JDK (/etc/ssl/certs/java): the runtime gets a copy.
    if [ -f /etc/ssl/certs/java/cacerts ]; then
      rm -f "$cached.partial/lib/security/cacerts"
      cp -L /etc/ssl/certs/java/cacerts "$cached.partial/lib/security/cacerts"
    fi
    mv "$cached.partial" "$cached"
  fi
  for old in "$dir"/*; do [ "$old" = "$cached" ] || rm -rf -- "$old"; done
  rm -rf "$home"
  mkdir -p "$BUILD_DIR/.heroku"
  cp -a "$cached" "$home"
  yb_info "OpenJDK $JAVA_VERSION runtime (jlink, $(du -sm "$home" | cut -f1) MB) into .heroku/jdk ($state)"
}

# The runnable jar for web: a jar with a Main-Class under target/ or build/libs/ (Gradle), else under a module's, written to
# .heroku/java/main-jar for bin/release.
choose_main_jar() {
  local jar chosen=""
  local -a runnable=()
  while IFS= read -r jar; do
    case "${jar##*/}" in *-sources.jar | *-javadoc.jar | *-tests.jar | original-*.jar) continue ;; esac
    unzip -p "$BUILD_DIR/$jar" META-INF/MANIFEST.MF 2>/dev/null | grep -q '^Main-Class:' && runnable+=("$jar")
  done < <(cd "$BUILD_DIR" && { find target build/libs -maxdepth 1 -name '*.jar' 2>/dev/null | sort
                                 find . -mindepth 3 -maxdepth 4 \( -path './*/target/*.jar' -o -path './*/build/libs/*.jar' \) 2>/dev/null |
                                   sed 's|^\./||' | sort; })
  mkdir -p "$BUILD_DIR/.heroku/java"
  rm -f "$BUILD_DIR/.heroku/java/main-jar"
  if [ "${#runnable[@]}" -eq 0 ]; then
    yb_warn "no runnable jar (one with a Main-Class manifest entry) was built: declare web in a Procfile"
    return 0
  fi
  chosen=${runnable[0]}
  [ "${#runnable[@]}" -eq 1 ] || yb_warn "several runnable jars (${runnable[*]}): web runs $chosen; choose in a Procfile"
  printf '%s\n' "$chosen" > "$BUILD_DIR/.heroku/java/main-jar"
  yb_info "web: java -jar $chosen"
}
