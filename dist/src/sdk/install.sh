#!/bin/sh
# Puts dev.tokenkeeper:api (jar, sources, javadoc, and the test kit: TokenProviderContract,
# TokenStoreContract, TestContext) from this folder into the local Maven repository, so that
# provider-example/ (or your own provider) builds with plain `mvn verify`.
# Extra arguments go to Maven, e.g. -Dmaven.repo.local=/some/repo. MVN picks the Maven command.
set -e
here=$(cd "$(dirname "$0")" && pwd)
version=${tokenkeeper.api.version}
if [ -z "$MVN" ]; then MVN=mvn; fi
goal=org.apache.maven.plugins:maven-install-plugin:3.2.0:install-file
"$MVN" -B -ntp -q "$goal" -Dfile="$here/api/api-$version.jar" -DpomFile="$here/api/api-$version.pom" \
    -Dsources="$here/api/api-$version-sources.jar" -Djavadoc="$here/api/api-$version-javadoc.jar" "$@"
"$MVN" -B -ntp -q "$goal" -Dfile="$here/api/api-$version-tests.jar" -DgroupId=dev.tokenkeeper -DartifactId=api \
    -Dversion="$version" -Dpackaging=jar -Dclassifier=tests -DgeneratePom=false "$@"
echo "installed dev.tokenkeeper:api:$version (with sources, javadoc and the tests kit)"
