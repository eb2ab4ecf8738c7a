package dev.tokenkeeper.daemon.sink;

import dev.tokenkeeper.daemon.folders.ServiceUser;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.OptionalInt;

/**
 * The user this process acts as on files: the effective uid, which owns what the process creates.
 *
 * @param principal the user, comparable with a file's owner
 * @param name      its name, for messages ({@code chown <name> ...})
 * @param uid       its uid, or -1 when the system does not tell
 */
record EffectiveUser(UserPrincipal principal, String name, int uid) {

    /** @return the effective user of this process */
    static EffectiveUser current() {
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        String name = System.getProperty("user.name");
        try {
            OptionalInt uid = ServiceUser.uid();
            if (uid.isPresent()) {
                UserPrincipal byUid = users.lookupPrincipalByName(Integer.toString(uid.getAsInt()));
                return new EffectiveUser(byUid, sameUser(users, name, byUid) ? name : Integer.toString(uid.getAsInt()),
                        uid.getAsInt());
            }
            // Other systems: the real user's name, the same user for a daemon.
            return new EffectiveUser(users.lookupPrincipalByName(name), name, -1);
        } catch (IOException e) {
            throw new IllegalStateException("cannot look up this process's user " + name, e);
        }
    }

    private static boolean sameUser(UserPrincipalLookupService users, String name, UserPrincipal user) {
        try {
            return users.lookupPrincipalByName(name).equals(user);
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the user as a message names it */
    String display() {
        return uid < 0 ? name : name + " (uid " + uid + ")";
    }

    /**
     * @param owner a file's owner
     * @return whether it is this user
     */
    boolean owns(UserPrincipal owner) {
        return principal.equals(owner);
    }
}
