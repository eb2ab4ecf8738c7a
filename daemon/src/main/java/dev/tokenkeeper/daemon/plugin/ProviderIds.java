package dev.tokenkeeper.daemon.plugin;

import dev.tokenkeeper.api.CredentialId;

import java.util.Optional;

/** Checks a provider's {@code id()} against the {@link CredentialId} rules at load, not at the first import. */
final class ProviderIds {

    private ProviderIds() {
    }

    /**
     * @param id what the provider's {@code id()} returned
     * @return why it cannot be a provider id, if it cannot
     */
    static Optional<String> problem(String id) {
        if (id == null) {
            return Optional.of("id() returned null");
        }
        try {
            new CredentialId(id, CredentialId.DEFAULT_ACCOUNT);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of("id() returned an " + e.getMessage());
        }
    }
}
