#!/bin/sh
# Builds three static AppCDS archives, so that later starts map classes instead of parsing and
# verifying them: lib/tokenkeeper.jsa of the classes the daemon loads while starting and answering
# its first requests (class path), lib/tokenkeeper-modules.jsa of the same with a jar in the plugins
# folder (the launcher then starts on the module path), and lib/tokenkeeper-cli.jsa of those a
# client command loads (`status` against that daemon).
# Static, not -XX:ArchiveClassesAtExit: a dynamic archive leaves out picocli's classes (Java 5 class
# files), and only a static one holds the JDK's own classes and module graph for the class path too.
# Each archive is dumped through bin/tokenkeeper itself, so its module or class path is exactly the
# launcher's. Best effort: if anything goes wrong the launcher simply runs without the archive.
set -u
dist=$1
archive="$dist/lib/tokenkeeper.jsa"
modules_archive="$dist/lib/tokenkeeper-modules.jsa"
cli_archive="$dist/lib/tokenkeeper-cli.jsa"
flags="-Xmx256m -Xms16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1"
state=$(mktemp -d)
rm -f "$archive" "$modules_archive" "$cli_archive"
# With a jar in the plugins folder the launcher starts on the module path (lib/tokenkeeper-modules.jsa):
# an empty zip, which the plugin loader opens as an automatic module that provides nothing.
mkdir -p "$state/plugins"
printf 'PK\005\006\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' > "$state/plugins/placeholder.jar"

# train NAME PLUGINS: a daemon started through the launcher with that plugins folder answers its first
# requests, then `doctor` runs against it (its classes go into the same list), and, once, `status`.
train() {
  log="$state/$1.log"
  JAVA_OPTS="$flags -XX:DumpLoadedClassList=$state/$1.classlist" \
    TOKENKEEPER_STATE_DIR="$state/state-$1" TOKENKEEPER_LISTEN=127.0.0.1:0 TOKENKEEPER_PLUGIN_DIR="$2" \
    "$dist/bin/tokenkeeper" run > "$log" 2>&1 &
  pid=$!
  port=""
  i=0
  while [ $i -lt 300 ] && [ -z "$port" ]; do
    port=$(sed -n 's/.*tokenkeeper listening on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$log" | head -1)
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  if [ -n "$port" ] && command -v curl > /dev/null; then
    token=$(cat "$state/state-$1/admin-token")
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz"
    curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/credentials"
    curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/credentials/gazelle:none/token"
    curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
  fi
  if [ -n "$port" ]; then
    if [ ! -s "$state/cli.classlist" ]; then
      JAVA_OPTS="$flags -XX:DumpLoadedClassList=$state/cli.classlist" \
        TOKENKEEPER_STATE_DIR="$state/state-$1" TOKENKEEPER_LISTEN="127.0.0.1:$port" TOKENKEEPER_PLUGIN_DIR="$2" \
        "$dist/bin/tokenkeeper" status > "$state/status.log" 2>&1
    fi
    # `doctor` starts like the daemon, and asks the daemon for /healthz with the JDK's HTTP client,
    # which the daemon itself never loads: its classes go into the daemon's archive too (doctor then
    # takes about 1.0 s of CPU instead of 1.4 s; the archive grows by about 1.7 MB).
    JAVA_OPTS="$flags -XX:DumpLoadedClassList=$state/$1-doctor.classlist" \
      TOKENKEEPER_STATE_DIR="$state/state-$1" TOKENKEEPER_LISTEN="127.0.0.1:$port" TOKENKEEPER_PLUGIN_DIR="$2" \
      "$dist/bin/tokenkeeper" doctor > "$state/$1-doctor.log" 2>&1
    if [ -s "$state/$1-doctor.classlist" ]; then
      cat "$state/$1-doctor.classlist" >> "$state/$1.classlist"
    fi
  fi
  kill -TERM $pid 2>/dev/null
  wait $pid 2>/dev/null
}
train daemon "$state/none"
train modules "$state/plugins"
# -Xshare:dump makes the archive and exits before the command runs.
dump() {
  if [ -s "$1" ]; then
    JAVA_OPTS="$flags -Xshare:dump -XX:SharedClassListFile=$1 -XX:SharedArchiveFile=$2" \
      TOKENKEEPER_STATE_DIR="$state/state-daemon" TOKENKEEPER_PLUGIN_DIR="$4" "$dist/bin/tokenkeeper" "$3" \
      > "$state/dump.log" 2>&1 || rm -f "$2"
  fi
}
dump "$state/daemon.classlist" "$archive" run "$state/none"
dump "$state/modules.classlist" "$modules_archive" run "$state/plugins"
dump "$state/cli.classlist" "$cli_archive" status "$state/none"
rm -rf "$state"
for made in "$archive" "$modules_archive" "$cli_archive"; do
  if [ -s "$made" ]; then
    echo "AppCDS archive: $made ($(du -k "$made" | cut -f1) KiB)"
  else
    echo "warning: no AppCDS archive $made was made; the launcher runs without it"
  fi
done
exit 0
