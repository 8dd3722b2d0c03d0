# Sourced by ./mvnw before Maven starts. Evento needs a JDK 21 or newer to build
# (it compiles with --release 21). If JAVA_HOME (or the java on PATH) is older,
# look for a newer JDK in the usual install locations and use it for this build
# only, so a fresh clone builds without any manual setup.

evento_required_jdk=21

evento_jdk_feature() { # prints the feature release (17, 21, 25...) of the JDK at $1
  [ -x "$1/bin/javac" ] && [ -x "$1/bin/java" ] || return 1
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
  fi
}

evento_select_jdk() {
  current="${JAVA_HOME-}"
  if [ -z "$current" ] && command -v javac >/dev/null 2>&1; then
    current=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  fi
  if [ -n "$current" ]; then
    v=$(evento_jdk_feature "$current" || true)
    if [ -n "$v" ] && [ "$v" -ge "$evento_required_jdk" ]; then
      export JAVA_HOME="$current"
      return 0
    fi
  fi
  best="" bestv=0
  set +f # mvnw runs with globbing off; the search below needs it
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* \
    "${HOME-}"/.sdkman/candidates/java/* "${HOME-}"/.jdks/* \
    /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$candidate" ] || continue
    v=$(evento_jdk_feature "$candidate" 2>/dev/null || true)
    [ -n "$v" ] || continue
    if [ "$v" -ge "$evento_required_jdk" ] && [ "$v" -gt "$bestv" ]; then
      best="$candidate" bestv="$v"
    fi
  done
  set -f
  if [ -z "$best" ]; then
    echo "Evento needs a JDK $evento_required_jdk or newer to build, but found ${current:-no JDK} (version ${v:-unknown})." >&2
    echo "Install one (e.g. 'apt install openjdk-21-jdk' or https://adoptium.net) or point JAVA_HOME at it." >&2
    exit 1
  fi
  [ "${MVNW_VERBOSE-}" = true ] && echo "mvnw: using JDK $bestv at $best" >&2
  export JAVA_HOME="$best"
}

evento_select_jdk
