/**
 * Key rotation ({@code tokenkeeper rekey}): a new master key, then every stored secret re-sealed
 * with it one credential at a time, each under the credential's refresh lease and with a version
 * compare-and-set, while the old key stays readable as a retired key. Crash-safe: at every instant
 * each secret is sealed with a key the daemon can load, and a re-run finishes what is left.
 */
package dev.tokenkeeper.daemon.rekey;
