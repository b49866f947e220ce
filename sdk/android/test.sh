#!/usr/bin/env bash
# Compiles the Android SDK (Java 8 language and library level) and its tests with javac against
# Debian's jars, then runs the JUnit 5 tests with the console launcher. No Gradle, no network.
# The JVM tests start a real hub from this repository (node --import tsx src/main.ts).
# Usage: sdk/android/test.sh [extra console-launcher args, e.g. --select-method com.supporthub.sdk.SupportHubTest#…]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jars=/usr/share/java
main_cp="$jars/okhttp.jar:$jars/okio.jar:$jars/com.android.json.jar"
for jar in ${main_cp//:/ } "$jars/junit-platform-console-standalone.jar"; do
  if [ ! -f "$jar" ]; then
    echo "missing $jar: apt-get install -y libokhttp-java libandroid-json-java junit5" >&2
    exit 2
  fi
done

build="$(mktemp -d "${TMPDIR:-/tmp}/supporthub-android-build.XXXXXX")"
trap 'rm -rf "$build"' EXIT
mkdir -p "$build/main" "$build/test"

# --release 8: the Java 8 language *and* its class library, so nothing newer links by accident.
javac --release 8 -Xlint:all -Werror -encoding UTF-8 -cp "$main_cp" -d "$build/main" $(find "$here/src/main/java" -name '*.java')
javac --release 8 -encoding UTF-8 -cp "$main_cp:$build/main:$jars/junit-platform-console-standalone.jar" -d "$build/test" $(find "$here/src/test/java" -name '*.java')

# With selectors (--select-method …) run just those; the launcher refuses a scan beside them.
select=(--scan-class-path "$build/test")
if [ "$#" -gt 0 ]; then select=(); fi

cd "$here"
java -Dhub.root="$root" -Dsdk.classes="$build/main" \
  -jar "$jars/junit-platform-console-standalone.jar" \
  --class-path "$main_cp:$build/main:$build/test" \
  "${select[@]}" \
  --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii --fail-if-no-tests "$@"
