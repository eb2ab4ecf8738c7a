/**
 * An example tokenkeeper provider: an OAuth 2 style upstream that rotates refresh tokens.
 * It requires the api and the JDK's HTTP client; Jackson comes from the daemon's boot layer.
 */
module com.example.demo {
    requires dev.tokenkeeper.api;
    requires java.net.http;
    requires com.fasterxml.jackson.databind;
    provides dev.tokenkeeper.api.TokenProvider with com.example.demo.DemoProvider;
}
