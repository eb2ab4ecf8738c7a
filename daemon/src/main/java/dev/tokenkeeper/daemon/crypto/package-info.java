/**
 * Encryption at rest: the master key and where it comes from ({@link
 * dev.tokenkeeper.daemon.crypto.MasterKeyLoader}), the keyring that lets old keys stay readable
 * after a rotation ({@link dev.tokenkeeper.daemon.crypto.Keyring}), and AES-256-GCM sealing of
 * secret material ({@link dev.tokenkeeper.daemon.crypto.SecretSealer}).
 *
 * <p>Nothing in this package puts key bytes, passphrases or secret values into an exception
 * message, a {@code toString()} or a log line; key ids (8 hex characters of a SHA-256 of the key)
 * are not secret and are used to name keys.
 */
package dev.tokenkeeper.daemon.crypto;
